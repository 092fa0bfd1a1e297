"""An audit event's digest covers what the use case changed, all of it: two records that differ in one
thing leave different digests. (The digest is what proves later that a record was not rewritten, so a
field left out of it could be changed without trace.)"""

from datetime import date

from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.disclosures import ReleasedItem, record_disclosure
from prevent_ig.services.pathway import advance_case
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case


def digests(db: Db, event: str) -> list[str | None]:
    with db.uow() as uow:
        return list(
            uow.session.scalars(
                select(AuditEventRow.digest).where(AuditEventRow.event == event).order_by(AuditEventRow.seq)
            )
        )


def test_disclosures_differing_only_in_how_they_were_sent_leave_different_digests(db: Db) -> None:
    for method in ("secure_email", "telephone"):
        decision = assess_case(db, open_case(db))
        with db.uow() as uow:
            record_disclosure(
                uow=uow,
                actor="lead.a",
                assessment_id=decision,
                method=method,
                on=TODAY,
                items=[ReleasedItem(id="demographics", content="synthetic")],
            )
    by_email, by_phone = digests(db, "case:disclosure:create")
    assert by_email != by_phone


def test_a_decision_that_replaces_another_leaves_a_digest_apart_from_the_same_decision_alone(db: Db) -> None:
    case_id = open_case(db)
    first = assess_case(db, case_id)
    assess_case(db, case_id, supersedes_id=first)  # the same input and output, now replacing the first
    alone, replacing = digests(db, "case:assessment:create")
    assert alone != replacing


def test_gathering_information_asked_on_different_days_leaves_different_digests(db: Db) -> None:
    # The day asked sets the information-gathering deadline: both are part of what the move changed.
    for asked in (date(2026, 11, 2), date(2026, 11, 16)):
        case_id = open_case(db, on=date(2026, 11, 1))  # asked after the case opened, before the move
        assess_case(db, case_id)
        for move in (Move.REFER, Move.START_SCREENING, Move.GATHER_INFORMATION):
            with db.uow() as uow:
                advance_case(
                    uow=uow,
                    actor="lead.a",
                    case_id=case_id,
                    move=move,
                    on=TODAY,
                    calendar=db.config.calendar,
                    information_request_on=asked if move is Move.GATHER_INFORMATION else None,
                )
    changes = digests(db, "case:stage:change")
    assert len(changes) == 6
    first_gathering, second_gathering = changes[2], changes[5]
    assert changes[:2] == changes[3:5]  # the moves before it were the same
    assert first_gathering != second_gathering
