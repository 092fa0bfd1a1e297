"""When the engine refuses an answer on the assessment's check page, the lead reads it in the words of
the question they answered, linked to that answer's row, never in the engine's field names
(``grounds.rationale``, ``consent.status``). The words come from the interview's own questions."""

import json
import re
import types
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AssessmentRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.entrypoints.web import interview
from prevent_ig.services.cases import age_on, date_of_birth
from tests.fixtures_db import TODAY
from tests.records.helpers import open_case, partner_request
from tests.web.test_journeys_http import unescape

ALWAYS_BUILT = frozenset({"subject", "consent", "recipient", "grounds"})
"""Parts of the engine's input the interview always builds whole (``to_engine_input``): the engine can
refuse what is in them, each field against its own question, but never the part itself."""


def engine_fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every field of the engine's input the validator can name, as dotted paths without list
    positions: each value, each part that may be left out (``request``, ``ig_advice``) and each list."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        if get_origin(annotation) in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if path not in ALWAYS_BUILT:
                yield path
            yield from engine_fields(annotation, f"{path}.")
        else:
            yield path


def test_every_field_the_engine_can_refuse_belongs_to_a_question() -> None:
    # A field added to the engine's input without a question to carry its errors fails here.
    fields = set(engine_fields(Assessment))
    assert {"grounds.rationale", "request", "items.description", "ig_advice.adviser_role"} <= fields
    unasked = sorted(fields - interview.FIELD_QUESTIONS.keys())
    assert unasked == [], f"engine fields no interview question sets (Question.fields): {unasked}"
    # And no question claims a field the engine does not have (a renamed one, say).
    assert interview.FIELD_QUESTIONS.keys() <= fields


def test_a_field_in_a_list_belongs_to_the_question_that_asked_for_the_list() -> None:
    answers: dict[str, Any] = {"kind": "request_response", "capacity_doubt": "no"}
    assert interview.question_for_field("items.3.description", answers) is interview.BY_KEY["items"]
    assert (
        interview.question_for_field("request.legal_powers_cited.0", answers)
        is interview.BY_KEY["legal_powers"]
    )
    assert interview.question_for_field("(input)", answers) is None
    # Whether they can decide: the doubt, unless an assessment was asked for, then its finding.
    assert interview.question_for_field("subject.has_capacity", answers) is interview.BY_KEY["capacity_doubt"]
    answers.update(capacity_doubt="yes", has_capacity="yes")
    assert interview.question_for_field("subject.has_capacity", answers) is interview.BY_KEY["has_capacity"]


def error_summary(page_text: str) -> str:
    """The error summary's list, its links' text without the layout's white space."""
    summary = unescape(page_text).split('class="nhsuk-error-summary', 1)[1].split("</ul>", 1)[0]
    return re.sub(r"\s*(<[^>]*>)\s*", r"\1", " ".join(summary.split()))


def draft_for(age: int, **overrides: Any) -> dict[str, Any]:
    """The answers of a referral to the police without consent, every question answered."""
    draft: dict[str, Any] = {
        "kind": "referral",
        "purpose": "prevent_referral",
        "role": "patient",
        "age": age,
        "adult_at_risk": "no",
        "capacity_doubt": "no",
        "consent_status": "not_sought",
        "reason_not_sought": "prejudice_purpose",
        "recipient_type": "police",
        "recipient": {"name": "Synthetic Police", "email": "p@x.pnn.police.uk"},
        "dsa_in_place": "yes",
        "legal_requirement": "none",
        "risks": ["others"],
        "substantial_public_interest": "yes",
        "informing_would_prejudice": "yes",
        "items": [
            {"id": "a", "description": "Name", "category": "identity", "relevant": True, "justification": "j"}
        ],
        "ig_advice": "none",
        "rationale": "Synthetic rationale: telling them would tip them off.",
    }
    return {**draft, **overrides}


def test_the_check_page_names_the_refused_answers_in_the_leads_words(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.words")
    case_id = open_case(lead.db)
    with lead.db.uow() as uow:
        age = age_on(date_of_birth(uow, case_id), lead.db.clock.moment.date())
    # No reasoning without consent, and "they cannot decide" though no one doubted they could.
    draft = draft_for(age, rationale="", reason_not_sought="lacks_capacity")
    token = lead.csrf(f"/cases/{case_id}")

    page = lead.client.post(
        f"/cases/{case_id}/assess", data={"draft": json.dumps(draft), "action": "decide", "csrf_token": token}
    )

    assert page.status_code == 400
    text = " ".join(unescape(page.text).split())
    assert "Check your answers" in text and "You may share" not in text
    summary = error_summary(page.text)
    assert (
        '<a href="#answer-reason_not_sought">Why has consent not been asked for? Cannot be “They cannot'
        " decide about this” while your answer to “Is there any doubt that they can decide about this"
        " sharing?” is “No”</a>"
    ) in summary
    assert (
        '<a href="#answer-rationale">Explain your reasoning: Must explain the reasoning unless “Have they'
        " agreed to the sharing?” is “They (or someone entitled to) agreed”</a>"
    ) in summary
    for row in ("reason_not_sought", "rationale"):
        assert f'id="answer-{row}"' in text  # each link lands on the answer's row, with its Change button
    for engine_word in ("grounds.", "consent.", "subject.", "'lacks_capacity'", "'given'", "true"):
        assert engine_word not in summary


def test_a_malformed_recipient_address_is_shown_on_the_recipient_details(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.address")
    case_id = open_case(lead.db)
    with lead.db.uow() as uow:
        age = age_on(date_of_birth(uow, case_id), lead.db.clock.moment.date())
    draft = draft_for(age, recipient={"name": "Synthetic Police", "email": "prevent at police"})
    token = lead.csrf(f"/cases/{case_id}")

    page = lead.client.post(
        f"/cases/{case_id}/assess", data={"draft": json.dumps(draft), "action": "decide", "csrf_token": token}
    )

    assert page.status_code == 400
    summary = error_summary(page.text)
    assert '<a href="#answer-recipient">Recipient details: Is not a valid email address' in summary
    assert "recipient.email" not in summary


@pytest.mark.parametrize("missing", ["purpose", "dsa_in_place"])
def test_a_draft_missing_an_answer_asks_that_question_instead_of_deciding(as_role, missing: str) -> None:  # type: ignore[no-untyped-def]
    # A draft sent back without an answer: the engine refused a missing purpose, but a missing yes/no
    # answer ("Is there a data sharing agreement?") was decided as "No".
    lead = as_role(Role.PREVENT_LEAD, f"lead.gap.{missing.replace('_', '-')}")
    case_id = open_case(lead.db)
    with lead.db.uow() as uow:
        age = age_on(date_of_birth(uow, case_id), lead.db.clock.moment.date())
    draft = draft_for(age)
    del draft[missing]
    token = lead.csrf(f"/cases/{case_id}")

    for action in ("decide", "record"):
        page = lead.client.post(
            f"/cases/{case_id}/assess",
            data={
                "draft": json.dumps(draft),
                "action": action,
                "lead_decision": "follow",
                "csrf_token": token,
            },
        )
        text = " ".join(unescape(page.text).split())
        assert interview.BY_KEY[missing].title in text, action
        assert "You may share" not in text and "Check your answers" not in text
    with lead.db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AssessmentRow)) == 0


def test_a_decision_on_a_request_is_checked_against_its_clock_before_it_is_shown(as_role) -> None:  # type: ignore[no-untyped-def]
    # The check page used to pass it; only "Record" refused it, against the follow/depart choice and in
    # the engine's words. A decision linked to a request must also be a decision on a request.
    lead = as_role(Role.PREVENT_LEAD, "lead.clock")
    case_id = open_case(lead.db)
    request_id = partner_request(lead.db, case_id, TODAY - timedelta(days=3))
    with lead.db.uow() as uow:
        age = age_on(date_of_birth(uow, case_id), lead.db.clock.moment.date())
    token = lead.csrf(f"/cases/{case_id}")
    answering = draft_for(
        age,
        _request_id=request_id,
        kind="request_response",
        purpose="police_screening",
        received=(TODAY - timedelta(days=4)).isoformat(),  # a day before it arrived
        request_checks=["proforma", "secure_channel", "consent_position_stated", "reason_given", "specific"],
        legal_powers=["CTSA2015.s38"],
    )

    for draft, row in ((answering, "received"), (draft_for(age, _request_id=request_id), "kind")):
        page = lead.client.post(
            f"/cases/{case_id}/assess",
            data={"draft": json.dumps(draft), "action": "decide", "csrf_token": token},
        )
        assert page.status_code == 400, row
        summary = error_summary(page.text)
        assert f'<a href="#answer-{row}">{interview.BY_KEY[row].title}' in summary, summary
        assert "request.received" not in summary and ">kind" not in summary


def started_draft(lead, case_id: int, request_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The draft the interview starts from when the lead assesses the request from its page."""
    page = lead.client.get(f"/cases/{case_id}/assess?request_id={request_id}")
    assert page.status_code == 200
    found = re.search(r'name="draft" value="([^"]*)"', page.text)
    assert found is not None
    draft: dict[str, Any] = json.loads(unescape(found[1]))
    return draft


def test_a_decision_contradicting_its_requests_record_is_shown_against_each_question(as_role) -> None:  # type: ignore[no-untyped-def]
    # Started from the request, the interview takes who asked, what for and the checklist from its
    # record; changed on the way, each is refused on the check page in the question's own words.
    lead = as_role(Role.PREVENT_LEAD, "lead.request.record")
    case_id = open_case(lead.db)
    request_id = partner_request(lead.db, case_id, TODAY - timedelta(days=1))  # not specific
    with lead.db.uow() as uow:
        age = age_on(date_of_birth(uow, case_id), lead.db.clock.moment.date())
    prefilled = started_draft(lead, case_id, request_id)
    assert (prefilled["age"], prefilled["recipient"]["email"]) == (age, "channel@synthetic.gov.uk")
    as_recorded = draft_for(
        prefilled["age"],
        **{key: value for key, value in prefilled.items() if key not in ("age", "items")},
        competent_authority="no",
    )
    token = lead.csrf(f"/cases/{case_id}")

    def decide(draft: dict[str, Any]) -> Any:
        return lead.client.post(
            f"/cases/{case_id}/assess",
            data={"draft": json.dumps(draft), "action": "decide", "csrf_token": token},
        )

    shown = decide(as_recorded)  # as the record says: the decision is shown
    assert shown.status_code == 200 and "Check your answers" not in shown.text
    contradicting = {
        **as_recorded,
        "purpose": "police_screening",
        "recipient_type": "local_authority",
        "recipient": {"name": "Someone Else Ltd", "email": "intake@someone-else.example.org"},
        "request_checks": [key for key, _, _ in interview.REQUEST_CHECKS],  # "specific" ticked too
        "legal_powers": [],
    }

    page = decide(contradicting)

    assert page.status_code == 400
    summary = error_summary(page.text)
    record = f"request {request_id}"
    for expected in (
        f'<a href="#answer-purpose">What is the information for? Must be “Channel information gathering”, the '
        f"purpose {record} gave</a>",
        f'<a href="#answer-recipient_type">Who would receive the information? Must be “Channel panel”, who made '
        f"{record}: the answer goes to them</a>",
        f'<a href="#answer-recipient">Recipient details: Must be channel@synthetic.gov.uk, the address {record} '
        "came from: the answer goes there</a>",
        f'<a href="#answer-request_checks">Which of these does the request do? Must agree with {record}\'s '
        "record, which says “They said exactly what information they need, and why” is not met (what a "
        "clarification supplies is recorded on the request)</a>",
        f'<a href="#answer-legal_powers">Which powers or conditions does the requestor rely on? Must be the '
        f"powers {record}'s record cites: CTSA2015.s38</a>",
    ):
        assert expected in summary, summary
    for engine_word in ("request.", "recipient.", "'specific'", "'channel_panel'"):
        assert engine_word not in summary
    with lead.db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AssessmentRow)) == 0
