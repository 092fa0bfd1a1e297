"""A decision resting on consent to sharing counts the giver as the law allows on the day of the
decision; it is acted on later. A parent consents for a child who cannot decide, never for an adult
(guidance §3), so once the person is 18 a parent's consent no longer authorises anything: the decision
must be reassessed. Judged by the same rule the engine and the consent record use."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    DisclosureRow,
    DocumentRow,
    OutboxMessageRow,
)
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus
from prevent_ig.services.authority import lapsed_decisions
from prevent_ig.services.consents import SHARING
from prevent_ig.services.delivery import Result
from prevent_ig.services.disclosures import ReleasedItem, record_disclosure
from prevent_ig.services.errors import RefusedError
from prevent_ig.services.outbox import QueuedMessage, send_disclosure
from tests.documents.builders import CHANNEL, IDENTITY
from tests.fixtures_db import TODAY, Db
from tests.mail.fakes import AcceptingServer, run_worker
from tests.records.helpers import assess_case, consent_recorded, open_case

BORN = date(2008, 11, 28)  # 17 on the test clock's day, 18 two days later
BIRTHDAY = date(2026, 11, 28)
LATER = date(2026, 12, 1)
RECORDED = (DisclosureRow, DocumentRow, OutboxMessageRow, AuditEventRow)
ITEMS = [ReleasedItem(id="identity", content="Synthetic identity")]


def decided_on_consent(db: Db, giver: ConsentGiver, *, has_capacity: bool) -> tuple[int, int]:
    """A 17-year-old's case, consent to sharing recorded from ``giver``, and a decision resting on it."""
    case_id = open_case(db, date_of_birth=BORN, has_capacity=has_capacity)
    consent_recorded(
        db, case_id, scope=SHARING, status=ConsentStatus.GIVEN, giver=giver, has_capacity=has_capacity
    )
    decided = assess_case(
        db,
        case_id,
        kind="disclosure",
        purpose="safeguarding",
        subject={"has_capacity": has_capacity},
        consent={"status": "given", "given_by": giver.value, "reason_not_sought": None},
        recipient={
            "name": "Northshire Channel Panel",
            "type": "channel_panel",
            "competent_authority": False,
            "email": CHANNEL,
            "dsa_in_place": True,
        },
        items=[IDENTITY],
    )
    with db.uow() as uow:
        assert lapsed_decisions(uow, case_id) == {}
    return case_id, decided


def send(db: Db, assessment_id: int, on: date) -> QueuedMessage:
    with db.uow() as uow:
        return send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            to=CHANNEL,
            items=ITEMS,
            on=on,
            renderer=PdfRenderer(),
            from_address="prevent.lead@example-trust.nhs.uk",
            config=db.config,
        )


def counts(db: Db) -> dict[str, int]:
    with db.uow() as uow:
        return {
            t.__tablename__: uow.session.scalar(select(func.count()).select_from(t)) or 0 for t in RECORDED
        }


def no_longer_counts(assessment_id: int) -> str:
    return (
        f"assessment {assessment_id} rested on consent to sharing given by the parent or guardian, which no "
        "longer counts: the person is now 18; reassess, with consent from whoever may give it now or on "
        "another basis"
    )


def test_a_parents_consent_authorises_nothing_once_the_person_is_18(db: Db) -> None:
    case_id, decided = decided_on_consent(db, ConsentGiver.PARENT_OR_GUARDIAN, has_capacity=False)
    db.clock.move_to(LATER)
    before = counts(db)

    with pytest.raises(RefusedError) as refused:
        send(db, decided, on=LATER)
    assert str(refused.value) == no_longer_counts(decided)
    with db.uow() as uow, pytest.raises(RefusedError) as by_phone:
        record_disclosure(
            uow=uow, actor="lead.a", assessment_id=decided, items=ITEMS, method="telephone", on=LATER
        )
    assert str(by_phone.value) == no_longer_counts(decided)

    assert counts(db) == before  # nothing disclosed, issued, queued or audited
    with db.uow() as uow:  # and the case page says why the decision no longer stands
        assert lapsed_decisions(uow, case_id) == {decided: no_longer_counts(decided)}


def test_a_pack_queued_at_17_is_withheld_when_it_would_leave_after_the_18th_birthday(db: Db) -> None:
    _, decided = decided_on_consent(db, ConsentGiver.PARENT_OR_GUARDIAN, has_capacity=False)
    queued = send(db, decided, on=TODAY)  # the mail server then away for the weekend
    db.clock.move_to(LATER)

    assert run_worker(db, AcceptingServer()) == [Result.FAILED]

    with db.uow() as uow:
        message = uow.session.get(OutboxMessageRow, queued.outbox_id)
        assert message is not None
        assert message.status == "failed" and message.sent_at is None
        assert message.last_error == f"withheld: {no_longer_counts(decided)}"


def test_a_disclosure_made_before_the_birthday_may_be_recorded_after_it(db: Db) -> None:
    # Judged on the day it was made: on the telephone the day before, the parent's consent counted.
    _, decided = decided_on_consent(db, ConsentGiver.PARENT_OR_GUARDIAN, has_capacity=False)
    db.clock.move_to(LATER)
    with db.uow() as uow:
        record_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=decided,
            items=ITEMS,
            method="telephone",
            on=BIRTHDAY - timedelta(days=1),
        )
    assert counts(db)[DisclosureRow.__tablename__] == 1


def test_the_persons_own_consent_still_counts_at_18(db: Db) -> None:
    _, decided = decided_on_consent(db, ConsentGiver.SUBJECT, has_capacity=True)
    db.clock.move_to(LATER)
    assert send(db, decided, on=LATER).to == CHANNEL
