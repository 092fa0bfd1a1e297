"""A Channel support plan rests on the person's agreement to the support (a parent's, under 18): without
it nothing is shared for the plan, whatever else holds (rules step 1b; CTSA 2015 s36(4)(b), guidance §7).
The decision reads that agreement from the lead's answers; once the case's record of it says withdrawn,
refused, or given by someone who can no longer give it, the decision authorises nothing more, and a new
decision may not claim it."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    AuditEventRow,
    DisclosureRow,
    DocumentRow,
    OutboxMessageRow,
)
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus
from prevent_ig.services.assessments import AssessmentInputProblemsError
from prevent_ig.services.consents import CHANNEL_SUPPORT, withdraw_consent
from prevent_ig.services.delivery import Result
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.errors import RefusedError
from prevent_ig.services.outbox import QueuedMessage, requeue_message, send_disclosure
from tests.fixtures_db import TODAY, Db
from tests.mail.fakes import AcceptingServer, run_worker
from tests.records.helpers import assess_case, consent_recorded, open_case

SUPPORT = "support@northshire.gov.uk"
ADULT_BORN = date(1990, 5, 17)  # 36 on the test clock's day
CHILD_BORN = date(2010, 1, 1)  # 16
TURNS_18_SOON = date(2008, 11, 28)  # 17 on the test clock's day, 18 two days later
RECORDED = (AssessmentRow, DisclosureRow, DocumentRow, OutboxMessageRow, AuditEventRow)


def support_plan_case(db: Db, *, born: date, giver: ConsentGiver) -> tuple[int, int]:
    """A case whose consent to Channel support is recorded as given by ``giver``; the person can decide."""
    case_id = open_case(db, date_of_birth=born)
    consent_id = consent_recorded(db, case_id, scope=CHANNEL_SUPPORT, status=ConsentStatus.GIVEN, giver=giver)
    return case_id, consent_id


def assess_support_plan(db: Db, case_id: int, giver: ConsentGiver, **overrides: Any) -> int:
    return assess_case(
        db,
        case_id,
        kind="disclosure",
        purpose="support_plan",
        consent={"status": "given", "given_by": giver.value, "reason_not_sought": None},
        recipient={
            "name": "Northshire Council Channel support",
            "type": "local_authority",
            "competent_authority": False,
            "email": SUPPORT,
            "dsa_in_place": True,
        },
        **overrides,
    )


def send(db: Db, assessment_id: int, on: date = TODAY) -> QueuedMessage:
    with db.uow() as uow:
        return send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            to=SUPPORT,
            items=[ReleasedItem(id="demographics", content="Synthetic: name and address")],
            on=on,
            renderer=PdfRenderer(),
            from_address="prevent.lead@example-trust.nhs.uk",
            config=db.config,
        )


def withdraw(db: Db, case_id: int, consent_id: int) -> None:
    with db.uow() as uow:
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY)


def counts(db: Db) -> dict[str, int]:
    with db.uow() as uow:
        return {
            t.__tablename__: uow.session.scalar(select(func.count()).select_from(t)) or 0 for t in RECORDED
        }


def outcome(db: Db, assessment_id: int) -> str:
    with db.uow() as uow:
        row = uow.session.get(AssessmentRow, assessment_id)
        assert row is not None
        return row.outcome


@pytest.mark.parametrize(
    ("born", "giver"),
    [(ADULT_BORN, ConsentGiver.SUBJECT), (CHILD_BORN, ConsentGiver.PARENT_OR_GUARDIAN)],
    ids=["adult", "child"],
)
def test_a_support_plan_decision_stops_authorising_once_consent_to_support_is_withdrawn(
    db: Db, born: date, giver: ConsentGiver
) -> None:
    case_id, consent_id = support_plan_case(db, born=born, giver=giver)
    decided = assess_support_plan(db, case_id, giver)
    assert outcome(db, decided) == "share"
    withdraw(db, case_id, consent_id)
    before = counts(db)

    with pytest.raises(RefusedError) as refused:
        send(db, decided)

    assert str(refused.value) == (
        f"assessment {decided} is for a Channel support plan, which needs consent to Channel support, but "
        f"the case's consent record now says consent to Channel support was withdrawn on {TODAY}; record a "
        "new assessment"
    )
    assert counts(db) == before  # no disclosure, pack, message or audit event


def test_a_queued_support_plan_pack_is_withheld_when_consent_to_support_is_withdrawn_before_it_leaves(
    db: Db,
) -> None:
    case_id, consent_id = support_plan_case(db, born=ADULT_BORN, giver=ConsentGiver.SUBJECT)
    queued = send(db, assess_support_plan(db, case_id, ConsentGiver.SUBJECT))
    withdraw(db, case_id, consent_id)

    assert run_worker(db, AcceptingServer()) == [Result.FAILED]

    with db.uow() as uow:
        message = uow.session.get(OutboxMessageRow, queued.outbox_id)
        assert message is not None
        assert message.status == "failed" and message.sent_at is None
        assert message.last_error is not None
        assert message.last_error.startswith("withheld: ")
        assert "consent to Channel support was withdrawn" in message.last_error
    before = counts(db)
    with db.uow() as uow, pytest.raises(RefusedError, match="consent to Channel support was withdrawn"):
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=db.config)
    assert counts(db) == before


def test_consent_to_support_refused_since_the_decision_stops_it_too(db: Db) -> None:
    case_id, _ = support_plan_case(db, born=ADULT_BORN, giver=ConsentGiver.SUBJECT)
    decided = assess_support_plan(db, case_id, ConsentGiver.SUBJECT)
    # A refusal recorded after the agreement withdraws it.
    consent_recorded(db, case_id, scope=CHANNEL_SUPPORT, status=ConsentStatus.REFUSED, giver=None)
    before = counts(db)
    with pytest.raises(RefusedError, match="now says consent to Channel support was refused"):
        send(db, decided)
    assert counts(db) == before


def test_a_parents_consent_to_support_stops_authorising_the_plan_when_the_person_turns_18(db: Db) -> None:
    # Capable at 17, so the sharing rests on the public interest, not on consent: only the agreement
    # to the support is a parent's, and it is the only thing that lapses at 18.
    case_id, _ = support_plan_case(db, born=TURNS_18_SOON, giver=ConsentGiver.PARENT_OR_GUARDIAN)
    decided = assess_support_plan(db, case_id, ConsentGiver.PARENT_OR_GUARDIAN)
    with db.uow() as uow:
        row = uow.session.get(AssessmentRow, decided)
        assert row is not None
        assert (row.outcome, row.confidentiality_basis) == ("share", "CLDC.public_interest")
    later = date(2026, 12, 1)
    db.clock.move_to(later)
    before = counts(db)

    with pytest.raises(RefusedError) as refused:
        send(db, decided, on=later)

    assert "no longer counts: the person is now 18 (CTSA 2015 s36(4)(b))" in str(refused.value)
    assert counts(db) == before


def test_a_support_plan_decision_compelled_by_law_does_not_turn_on_consent_to_support(db: Db) -> None:
    # Rules step 1 is skipped when a court order or statute requires the disclosure: such a decision
    # never rested on the agreement, and its withdrawal does not undo it.
    case_id, consent_id = support_plan_case(db, born=ADULT_BORN, giver=ConsentGiver.SUBJECT)
    decided = assess_support_plan(
        db,
        case_id,
        ConsentGiver.SUBJECT,
        grounds={"legal_requirement": "court_order", "legal_requirement_detail": "Synthetic order 1"},
    )
    withdraw(db, case_id, consent_id)
    assert send(db, decided).to == SUPPORT


def problems(db: Db, case_id: int, giver: ConsentGiver) -> list[tuple[str, str]]:
    with pytest.raises(AssessmentInputProblemsError) as refused:
        assess_support_plan(db, case_id, giver)
    return [(p.field, p.message) for p in refused.value.problems]


def test_a_new_support_plan_decision_claiming_consent_the_record_withdrew_is_refused(db: Db) -> None:
    case_id, consent_id = support_plan_case(db, born=ADULT_BORN, giver=ConsentGiver.SUBJECT)
    withdraw(db, case_id, consent_id)
    before = counts(db)

    assert problems(db, case_id, ConsentGiver.SUBJECT) == [
        (
            "consent.status",
            f"the case's consent record says consent to Channel support was withdrawn on {TODAY}; record "
            "the consent again if it has been given since",
        )
    ]
    assert counts(db) == before
    # Another purpose does not turn on the agreement to support: a referral may still be assessed.
    assess_case(db, case_id)


def test_a_support_plan_decision_must_name_who_agreed_to_the_support(db: Db) -> None:
    # At 16 and able to decide, the person may agree to the sharing, but their agreement to Channel
    # support is a parent's: the record of it says who, and the answer must agree.
    case_id, _ = support_plan_case(db, born=CHILD_BORN, giver=ConsentGiver.PARENT_OR_GUARDIAN)
    before = counts(db)

    assert problems(db, case_id, ConsentGiver.SUBJECT) == [
        (
            "consent.given_by",
            "must agree with who gave consent to Channel support on the case's consent record",
        )
    ]
    assert counts(db) == before
    assert outcome(db, assess_support_plan(db, case_id, ConsentGiver.PARENT_OR_GUARDIAN)) == "share"
