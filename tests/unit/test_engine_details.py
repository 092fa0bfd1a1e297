"""Details the golden cases do not pin down: each reason's own citations, wording that varies with
the facts, and the order in which input problems are reported."""

from datetime import date

import pytest

from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.input_checks import AssessmentInputError, parse_assessment
from tests.builders import REQUEST_COMPLETE, assessment, input_data, item, to_json

TODAY = date(2026, 11, 26)


def decide(**overrides: object):  # type: ignore[no-untyped-def]
    return assess(assessment(**overrides), EngineConfig(), today=TODAY)


def cited(decision, code: str) -> list[str]:  # type: ignore[no-untyped-def]
    (reason,) = [r for r in decision.reasons if r.code.value == code]
    return list(reason.provisions)


def test_each_sensitive_condition_reason_cites_its_own_basis() -> None:
    d = decide(
        consent={"status": "refused", "given_by": None},
        grounds={"informing_would_prejudice": True},
        items=[item("mh", "health"), item("conviction", "criminal_offence")],
    )
    assert cited(d, "special_category_condition") == ["UKGDPR.9.2.g", "DPA2018.Sch1.Pt2.10"]
    assert cited(d, "criminal_offence_condition") == ["UKGDPR.10", "DPA2018.s10", "DPA2018.Sch1.Pt2.10"]
    assert cited(d, "route_public_interest") == [
        "UKGDPR.6.1.e",
        "CLDC.public_interest",
        "HRA1998.Art8",
        "Caldicott.7",
    ]


def test_consent_route_sensitive_reasons_cite_consent_conditions() -> None:
    d = decide(items=[item("mh", "health"), item("conviction", "criminal_offence")])
    assert cited(d, "special_category_condition") == ["UKGDPR.9.2.a"]
    assert cited(d, "criminal_offence_condition") == ["UKGDPR.10", "DPA2018.s10", "DPA2018.Sch1.Pt3.29"]


def section(decision, code: str) -> str:  # type: ignore[no-untyped-def]
    (reason,) = [r for r in decision.reasons if r.code.value == code]
    return str(reason.guidance_section)


def test_the_special_category_reason_cites_the_sections_its_conditions_are_found_in() -> None:
    # Article 9(2)(a) and (f) are in the guidance's list of Article 9 conditions (§8); a Schedule 1
    # Part 2 condition, cited beside 9(2)(g) without consent, is in its legal gateways (§9).
    health = [item("mh", "health")]
    by_consent = decide(items=health)
    by_court_order = decide(
        consent={"status": "refused", "given_by": None},
        grounds={"legal_requirement": "court_order", "legal_requirement_detail": "Order 12 of 2026"},
        items=health,
    )
    without_consent = decide(
        consent={"status": "refused", "given_by": None},
        grounds={"informing_would_prejudice": True},
        items=health,
    )
    assert cited(by_court_order, "special_category_condition") == ["UKGDPR.9.2.f"]
    assert section(by_consent, "special_category_condition") == "§8"
    assert section(by_court_order, "special_category_condition") == "§8"
    assert section(without_consent, "special_category_condition") == "§8, §9"


@pytest.mark.parametrize(
    ("count", "words"), [(1, "Release only the item listed: it is"), (2, "the 2 items listed: each is")]
)
def test_minimum_necessary_says_how_many_items(count: int, words: str) -> None:
    d = decide(items=[item(f"i{n}") for n in range(count)])
    (reason,) = [r for r in d.reasons if r.code.value == "minimum_necessary"]
    assert words in reason.text


@pytest.mark.parametrize(
    ("adviser", "above"),
    [
        ("caldicott_guardian", "the SIRO"),  # over the guardian's head is the SIRO alone
        ("dpo", "the Caldicott guardian or SIRO"),
        ("ig_team", "the Caldicott guardian or SIRO"),
    ],
)
def test_a_lead_who_disagrees_with_the_adviser_is_sent_above_them(adviser: str, above: str) -> None:
    # Rules step 7: the lead who still thinks sharing necessary takes it to the Caldicott guardian or
    # SIRO; when the guardian advised against, only the SIRO is left to take it to.
    d = decide(ig_advice={"adviser_role": adviser, "supports_sharing": False})
    (reason,) = [r for r in d.reasons if r.code.value == "adviser_against"]
    assert reason.text.endswith(f"take it to {above}.")
    assert [m.text for m in d.missing] == [f"Support for sharing from {above} after review."]


@pytest.mark.parametrize(
    ("requirement", "words"), [("court_order", "a court order"), ("statute", "an enactment")]
)
def test_law_route_names_what_compels(requirement: str, words: str) -> None:
    d = decide(grounds={"legal_requirement": requirement, "legal_requirement_detail": "Synthetic order 1"})
    (reason,) = [r for r in d.reasons if r.code.value == "route_legal_requirement"]
    assert f"compelled by {words}" in reason.text


def test_missing_reason_is_worded_for_the_vss_and_for_others() -> None:
    request = {**REQUEST_COMPLETE, "reason_given": False}
    vss = decide(
        kind="request_response",
        request=request,
        consent={"status": "refused", "given_by": None},
        recipient={"type": "vss", "competent_authority": False},
    )
    police = decide(kind="request_response", request=request, consent={"status": "refused", "given_by": None})
    (vss_reason,) = [m.text for m in vss.missing if m.code.value == "request_reason"]
    (police_reason,) = [m.text for m in police.missing if m.code.value == "request_reason"]
    assert "role and the safeguarding issue" in vss_reason
    assert "legitimate reason" in police_reason


def ordered_problems(**overrides: object) -> list[tuple[str, str]]:
    with pytest.raises(AssessmentInputError) as caught:
        parse_assessment(to_json(input_data(**overrides)), decided_on=None)
    return [(p.field, p.message) for p in caught.value.problems]


def test_input_problems_come_in_field_order_and_none_is_lost() -> None:
    found = ordered_problems(
        consent={"status": "given", "given_by": None, "reason_not_sought": "urgent"},
        recipient={"name": " ", "competent_authority": False},
        request={**REQUEST_COMPLETE, "legal_powers_cited": ["Magic.1"]},
    )
    fields = [field for field, _ in found]
    assert fields == [
        "consent.given_by",
        "consent.reason_not_sought",
        "recipient.name",
        "recipient.competent_authority",
        "request",
        "request.legal_powers_cited.0",
    ]


def test_two_problems_on_one_field_are_both_reported() -> None:
    found = ordered_problems(
        consent={"status": "given", "given_by": "subject", "reason_not_sought": "lacks_capacity"},
        subject={"has_capacity": True},
    )
    messages = [message for field, message in found if field == "consent.reason_not_sought"]
    assert len(messages) == 2
