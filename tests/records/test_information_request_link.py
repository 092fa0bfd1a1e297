"""Information gathering started by a recorded partner request runs on that request's clock alone.

Before, the move to information gathering set the case a deadline of its own beside the request's: a
clarification stopped the request's clock but not the case's, and answering the request left the
case's deadline standing, so the due list called the case overdue when nothing was owed."""

from datetime import date

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AuditEventRow, CaseRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import Purpose
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.cases import due_items, view_case
from prevent_ig.services.errors import InvalidFieldError
from prevent_ig.services.pathway import advance_case
from prevent_ig.services.requests import ask_for_clarification, clarification_received, mark_answered
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case, partner_request

OPENED = date(2026, 11, 2)
ARRIVED = date(2026, 11, 16)  # a Monday: due Monday 23 November


def at_screening(db: Db) -> int:
    case_id = open_case(db, on=OPENED)
    assess_case(db, case_id, on=OPENED)
    for move in (Move.REFER, Move.START_SCREENING):
        move_case(db, case_id, move, on=OPENED)
    return case_id


def move_case(db: Db, case_id: int, move: Move, on: date, **given: object) -> None:
    with db.uow() as uow:
        advance_case(
            uow=uow, actor="lead.a", case_id=case_id, move=move, on=on, calendar=db.config.calendar, **given
        )  # type: ignore[arg-type]


def due_for(db: Db, case_id: int, today: date = TODAY) -> list[tuple[str, date]]:
    with db.uow() as uow:
        found = due_items(
            uow=uow, actor="lead.a", today=today, within_working_days=10, calendar=db.config.calendar
        )
    return [(item.kind, item.due_on) for item in found if item.case_id == case_id]


def test_the_named_request_sets_the_day_asked_and_its_clock_is_the_only_deadline(db: Db) -> None:
    case_id = at_screening(db)
    request_id = partner_request(db, case_id, ARRIVED)

    move_case(db, case_id, Move.GATHER_INFORMATION, on=date(2026, 11, 17), information_request_id=request_id)

    with db.uow() as uow:
        case = view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert (case.stage, case.information_request_id) == ("information_gathering", request_id)
    assert (case.information_due_on, case.next_due_on) == (date(2026, 11, 23), None)
    assert due_for(db, case_id, today=date(2026, 11, 17)) == [("partner_request", date(2026, 11, 23))]

    # The requestor is asked what is missing: the clock stops, and nothing is due from the lead.
    with db.uow() as uow:
        ask_for_clarification(
            uow=uow, actor="lead.a", request_id=request_id, missing=["specific"], on=ARRIVED
        )
    assert due_for(db, case_id) == []
    # Their answer on the 20th starts 5 working days again: due the 27th, on the due list once.
    with db.uow() as uow:
        clarification_received(
            uow=uow, actor="lead.a", request_id=request_id, on=date(2026, 11, 20), calendar=db.config.calendar
        )
    assert due_for(db, case_id) == [("partner_request", date(2026, 11, 27))]
    # Answered: the information the panel asked for has gone, and nothing is left owing.
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=TODAY)
    assert due_for(db, case_id) == []


def test_without_a_named_request_the_case_keeps_its_own_deadline(db: Db) -> None:
    """A request that came by telephone and was never recorded still starts the 5 working days."""
    case_id = at_screening(db)

    move_case(db, case_id, Move.GATHER_INFORMATION, on=date(2026, 11, 17), information_request_on=ARRIVED)

    assert due_for(db, case_id) == [("information_gathering", date(2026, 11, 23))]


def test_a_date_given_beside_the_request_must_be_the_day_it_arrived(db: Db) -> None:
    case_id = at_screening(db)
    request_id = partner_request(db, case_id, ARRIVED)

    move_case(
        db,
        case_id,
        Move.GATHER_INFORMATION,
        on=date(2026, 11, 17),
        information_request_id=request_id,
        information_request_on=ARRIVED,
    )

    with db.uow() as uow:
        assert view_case(
            uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD
        ).information_request_id


@pytest.mark.parametrize(
    ("refusal", "field", "message"),
    [
        ("another case's", "information_request_id", "has no partner request"),
        ("no such request", "information_request_id", "has no partner request 999"),
        ("police screening", "information_request_id", "is for police screening, not Channel information"),
        ("another day", "information_request_on", "must be 2026-11-16, when request"),
        ("another move", "information_request_id", "is given only when information gathering starts"),
        (
            "a day on another move",
            "information_request_on",
            "is given only when information gathering starts",
        ),
    ],
)
def test_a_request_that_cannot_have_asked_is_refused_naming_the_field_and_nothing_changes(
    db: Db, refusal: str, field: str, message: str
) -> None:
    case_id = at_screening(db)
    own = partner_request(db, case_id, ARRIVED)
    given: dict[str, object] = {"information_request_id": own}
    move = Move.GATHER_INFORMATION
    if refusal == "another case's":
        given["information_request_id"] = partner_request(db, open_case(db, on=OPENED), ARRIVED)
    elif refusal == "no such request":
        given["information_request_id"] = 999
    elif refusal == "police screening":
        given["information_request_id"] = partner_request(
            db, case_id, ARRIVED, purpose=Purpose.POLICE_SCREENING
        )
    elif refusal == "another day":
        given["information_request_on"] = date(2026, 11, 13)
    elif refusal == "another move":
        move = Move.EXIT
    else:  # once ignored: the caller would think a deadline ran from it
        move = Move.EXIT
        given = {"information_request_on": ARRIVED}
    with db.uow() as uow:
        before = (
            uow.session.scalar(select(CaseRow.version).where(CaseRow.id == case_id)),
            uow.session.scalar(select(func.count()).select_from(AuditEventRow)),
        )

    with pytest.raises(InvalidFieldError, match=message) as refused:
        move_case(db, case_id, move, on=date(2026, 11, 17), **given)

    assert refused.value.field == field
    with db.uow() as uow:
        after = (
            uow.session.scalar(select(CaseRow.version).where(CaseRow.id == case_id)),
            uow.session.scalar(select(func.count()).select_from(AuditEventRow)),
        )
        assert uow.session.scalar(select(CaseRow.stage).where(CaseRow.id == case_id)) == "police_screening"
    assert after == before
