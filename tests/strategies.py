"""Hypothesis strategies for valid assessment inputs, covering every enum value and pairing."""

from datetime import date
from typing import Any

from hypothesis import strategies as st

from prevent_ig.domain.law.catalogue import catalogue_ids
from prevent_ig.domain.law.vocabulary import (
    AdviserRole,
    ConsentGiver,
    ConsentStatus,
    ItemCategory,
    Kind,
    LegalRequirement,
    Purpose,
    ReasonNotSought,
    RecipientType,
    SubjectRole,
)

DECIDED_ON = date(2026, 11, 26)
"""The day the drawn assessments are decided on: requests are drawn from two years up to it, since
one received after it is refused as input (a request cannot be answered before it arrives)."""

EMAILS = [
    None,
    "prevent@northshire.pnn.police.uk",
    "channel@northshire.gov.uk",
    "lead@nhs.net",
    "team@example-trust.nhs.uk",
    "desk@gov.uk.example.com",
    "x@evilgov.uk",
    "referrals@example-charity.org",
]


def values(enum: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in enum])


@st.composite
def subjects(draw: st.DrawFn) -> dict[str, Any]:
    age = draw(st.one_of(st.integers(0, 130), st.sampled_from([15, 16, 17, 18])))
    return {
        "role": draw(values(SubjectRole)),
        "age": age,
        "adult_at_risk": draw(st.booleans()) if age >= 18 else False,
        "has_capacity": draw(st.booleans()),
    }


@st.composite
def consents(draw: st.DrawFn, has_capacity: bool) -> dict[str, Any]:
    status = draw(values(ConsentStatus))
    reasons = [r.value for r in ReasonNotSought if has_capacity is False or r.value != "lacks_capacity"]
    return {
        "status": status,
        "given_by": draw(values(ConsentGiver)) if status == "given" else None,
        "reason_not_sought": draw(st.none() | st.sampled_from(reasons)) if status == "not_sought" else None,
    }


@st.composite
def recipients(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(values(RecipientType))
    return {
        "name": "Synthetic Partner Organisation",
        "type": kind,
        "competent_authority": True if kind == "police" else draw(st.booleans()),
        "email": draw(st.sampled_from(EMAILS)),
        "dsa_in_place": draw(st.booleans()),
    }


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    flags = st.booleans() if draw(st.booleans()) else st.just(True)
    return {
        "received": draw(st.dates(date(2024, 1, 1), DECIDED_ON)).isoformat(),
        "proforma": draw(flags),
        "secure_channel": draw(flags),
        "consent_position_stated": draw(flags),
        "reason_given": draw(flags),
        "specific": draw(flags),
        "legal_powers_cited": draw(st.lists(st.sampled_from(sorted(catalogue_ids())), max_size=3)),
    }


@st.composite
def grounds(draw: st.DrawFn, consent_given: bool) -> dict[str, Any]:
    requirement = draw(st.none() | values(LegalRequirement))
    rationale = draw(st.sampled_from(["", " "])) if consent_given and draw(st.booleans()) else "Synthetic."
    return {
        "risk_of_harm_to_self": draw(st.booleans()),
        "risk_of_harm_to_others": draw(st.booleans()),
        "substantial_public_interest": draw(st.booleans()),
        "informing_would_prejudice": draw(st.booleans()),
        "best_interests": draw(st.booleans()),
        "legal_requirement": requirement,
        "legal_requirement_detail": "Synthetic order 2026/1"
        if requirement
        else draw(st.sampled_from([None, ""])),
        "rationale": rationale,
    }


@st.composite
def items(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 5))
    return [
        {
            "id": f"item-{n}",
            "description": "Synthetic item",
            "category": draw(values(ItemCategory)),
            "relevant": draw(st.booleans()),
            "justification": draw(st.sampled_from(["Needed for the stated purpose", "", "  "])),
        }
        for n in range(count)
    ]


@st.composite
def assessment_inputs(draw: st.DrawFn) -> dict[str, Any]:
    subject = draw(subjects())
    consent = draw(consents(subject["has_capacity"]))
    kind = draw(values(Kind))
    advice = draw(
        st.none()
        | st.fixed_dictionaries(
            {"adviser_role": values(AdviserRole), "supports_sharing": st.none() | st.booleans()}
        )
    )
    return {
        "kind": kind,
        "purpose": draw(values(Purpose)),
        "subject": subject,
        "consent": consent,
        "recipient": draw(recipients()),
        "request": draw(requests()) if kind == "request_response" else None,
        "grounds": draw(grounds(consent["status"] == "given")),
        "items": draw(items()),
        "ig_advice": advice,
    }
