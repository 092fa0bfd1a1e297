"""A decision that answers a partner request (``request_id``) must say of the request what the request's
own record says: its §5 checklist and the powers it cites (as a clarification left them), the purpose it
gave, and who asked, at the address it came from. Otherwise a request that arrived by ordinary email,
vague and citing nothing, could be decided "share" on a ticked checklist, and its pack queued to another
organisation's mailbox while the request was marked answered."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AssessmentRow, AuditEventRow, PartnerRequestRow
from prevent_ig.services.assessments import AssessmentInputProblemsError
from prevent_ig.services.requests import (
    ask_for_clarification,
    clarification_received,
)
from tests.builders import REQUEST_COMPLETE
from tests.fixtures_db import Db
from tests.records.helpers import assess_case, open_case, partner_request

ARRIVED = date(2026, 11, 23)
PANEL = "Channel.Panel@Bücher.example"
"""The requestor's mailbox, in an internationalised domain: the request keeps it in the xn-- form."""
STORED = "Channel.Panel@xn--bcher-kva.example"
VAGUE = dict.fromkeys(
    ("proforma", "secure_channel", "consent_position_stated", "reason_given", "specific"), False
)
"""By ordinary email, no proforma, no consent position, no reason given, and nothing specific."""


def vague_request(db: Db, case_id: int) -> int:
    return partner_request(
        db,
        case_id,
        ARRIVED,
        organisation="Northshire Channel Panel (synthetic)",
        email=PANEL,
        powers=(),
        checks=VAGUE,
    )


def answering(**changes: Any) -> dict[str, Any]:
    """The answers of a decision on the vague request as its record has it, with ``changes``."""
    answers: dict[str, Any] = {
        "kind": "request_response",
        "purpose": "channel_information_gathering",
        "recipient": {
            "name": "Northshire Channel Panel (synthetic)",
            "type": "channel_panel",
            "competent_authority": False,
            "email": STORED,
            "dsa_in_place": True,
        },
        "request": {**REQUEST_COMPLETE, **VAGUE, "legal_powers_cited": []},
    }
    for key, value in changes.items():
        answers[key] = {**answers[key], **value} if isinstance(value, dict) else value
    return answers


def recorded(db: Db) -> tuple[int, int, str]:
    """Decisions, audit events, and the request's status: what a refusal must leave as it was."""
    with db.uow() as uow:
        request = uow.session.scalars(select(PartnerRequestRow)).one()
        return (
            uow.session.scalar(select(func.count()).select_from(AssessmentRow)) or 0,
            uow.session.scalar(select(func.count()).select_from(AuditEventRow)) or 0,
            request.status,
        )


def refusal(db: Db, case_id: int, request_id: int, answers: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(AssessmentInputProblemsError) as refused:
        assess_case(db, case_id, request_id=request_id, **answers)
    return [(p.field, p.message) for p in refused.value.problems]


def test_a_decision_contradicting_its_requests_record_is_refused_naming_each_field(db: Db) -> None:
    # The reviewer's case: every checklist box ticked, powers cited, and another organisation named.
    case_id = open_case(db)
    request_id = vague_request(db, case_id)
    before = recorded(db)
    contradicting = answering(
        purpose="safeguarding",
        recipient={"type": "local_authority", "email": "intake@someone-else.example.org"},
        request={**REQUEST_COMPLETE},
    )

    problems = refusal(db, case_id, request_id, contradicting)

    record = f"must agree with request {request_id}'s record, which says"
    later = "is not met (what a clarification supplies is recorded on the request)"
    assert problems == [
        ("purpose", f"must be 'channel_information_gathering', the purpose request {request_id} gave"),
        (
            "recipient.type",
            f"must be 'channel_panel', who made request {request_id}: the answer goes to them",
        ),
        (
            "recipient.email",
            f"must be {STORED}, the address request {request_id} came from: the answer goes there",
        ),
        ("request.proforma", f"{record} 'proforma' {later}"),
        ("request.secure_channel", f"{record} 'secure_channel' {later}"),
        ("request.consent_position_stated", f"{record} 'consent_position_stated' {later}"),
        ("request.reason_given", f"{record} 'reason_given' {later}"),
        ("request.specific", f"{record} 'specific' {later}"),
        ("request.legal_powers_cited", f"must be the powers request {request_id}'s record cites: none"),
    ]
    assert recorded(db) == before  # no decision, no audit event, the request still open


@pytest.mark.parametrize(
    "email",
    [STORED, PANEL, "channel.panel@BÜCHER.example", "CHANNEL.PANEL@xn--bcher-kva.example"],
)
def test_the_requestors_mailbox_is_the_same_however_it_is_written(db: Db, email: str) -> None:
    case_id = open_case(db)
    request_id = vague_request(db, case_id)
    decided = assess_case(db, case_id, request_id=request_id, **answering(recipient={"email": email}))
    with db.uow() as uow:
        row = uow.session.get(AssessmentRow, decided)
        assert row is not None
        # Taken as the record says, a vague request is sent back for clarification, not shared.
        assert (row.request_id, row.outcome) == (request_id, "clarify")


def test_a_decision_with_no_address_for_the_requestor_is_refused(db: Db) -> None:
    case_id = open_case(db)
    request_id = vague_request(db, case_id)
    assert [field for field, _ in refusal(db, case_id, request_id, answering(recipient={"email": None}))] == [
        "recipient.email"
    ]


def test_what_a_clarification_supplied_is_what_the_decision_must_say(db: Db) -> None:
    case_id = open_case(db)
    request_id = vague_request(db, case_id)
    with db.uow() as uow:
        ask_for_clarification(
            uow=uow,
            actor="lead.a",
            request_id=request_id,
            missing=["request_specific"],
            on=date(2026, 11, 24),
        )
        clarification_received(
            uow=uow,
            actor="lead.a",
            request_id=request_id,
            on=date(2026, 11, 25),
            calendar=db.config.calendar,
            supplied=["proforma", "secure_channel", "consent_position_stated", "reason_given", "specific"],
            powers=["CTSA2015.s38"],
        )
    before = recorded(db)
    as_it_arrived = answering(request={"received": "2026-11-25"})

    fields = [field for field, _ in refusal(db, case_id, request_id, as_it_arrived)]

    assert fields == [
        "request.proforma",
        "request.secure_channel",
        "request.consent_position_stated",
        "request.reason_given",
        "request.specific",
        "request.legal_powers_cited",
    ]
    assert recorded(db) == before
    as_it_stands = answering(request={**REQUEST_COMPLETE, "received": "2026-11-25"})
    decided = assess_case(db, case_id, request_id=request_id, **as_it_stands)
    with db.uow() as uow:
        row = uow.session.get(AssessmentRow, decided)
        assert row is not None and row.outcome == "share"
