"""Governance registers: the Caldicott log and data sharing agreements signed by the SIRO."""

import threading
import time
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    CaldicottLogRow,
    ContactRow,
    DataSharingAgreementRow,
)
from prevent_ig.domain.law.vocabulary import AdviserRole
from prevent_ig.services.cases import list_cases
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.governance import (
    CaldicottEntry,
    NewAgreement,
    log_caldicott_advice,
    record_agreement,
    sign_agreement,
)
from prevent_ig.services.registers import ContactRole, NewContact, add_contact
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case, partner_request


def agreement(*, references_prevent: bool = True) -> NewAgreement:
    return NewAgreement(
        partner="Synthetic County Council",
        purpose="Prevent and Channel information sharing",
        references_prevent=references_prevent,
        starts_on=date(2026, 4, 1),
        review_on=date(2027, 3, 1),
        expires_on=date(2027, 3, 31),
    )


def test_caldicott_advice_is_logged_against_the_case_and_audited(db: Db) -> None:
    case_id = open_case(db)
    with db.uow() as uow:
        entry_id = log_caldicott_advice(
            uow=uow,
            actor="dpo.a",
            on=TODAY,
            entry=CaldicottEntry(
                question="May we share the mental health summary without consent?",
                adviser="Synthetic DPO",
                adviser_role=AdviserRole.DPO,
                advice="Yes under para 18",
                decision="Shared",
                case_id=case_id,
            ),
        )
    with db.uow() as uow:
        row = uow.session.get(CaldicottLogRow, entry_id)
        assert row is not None
        assert (row.case_id, row.adviser_role, row.logged_on) == (case_id, "dpo", TODAY)
        last = uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc())).first()
        assert last is not None
        assert (last.event, last.entity) == ("governance:caldicott:create", f"caldicott:{entry_id}")


def test_caldicott_entry_needs_every_part_and_a_real_case(db: Db) -> None:
    with pytest.raises(InvalidFieldError, match="advice"), db.uow() as uow:
        log_caldicott_advice(
            uow=uow,
            actor="dpo.a",
            on=TODAY,
            entry=CaldicottEntry(
                question="Q", adviser="A", adviser_role=AdviserRole.IG_TEAM, advice=" ", decision="D"
            ),
        )
    with pytest.raises(NotFoundError), db.uow() as uow:
        log_caldicott_advice(
            uow=uow,
            actor="dpo.a",
            on=TODAY,
            entry=CaldicottEntry(
                question="Q",
                adviser="A",
                adviser_role=AdviserRole.IG_TEAM,
                advice="x",
                decision="D",
                case_id=77,
            ),
        )


def test_siro_signs_a_prevent_agreement_once(db: Db) -> None:
    with db.uow() as uow:
        dsa = record_agreement(uow=uow, actor="ig.a", agreement=agreement())
    with db.uow() as uow:
        sign_agreement(uow=uow, actor="siro.a", agreement_id=dsa, siro="Synthetic SIRO", on=TODAY)
    with db.uow() as uow:
        row = uow.session.get(DataSharingAgreementRow, dsa)
        assert row is not None
        assert (row.signed_by_siro, row.signed_on) == ("Synthetic SIRO", TODAY)
    with pytest.raises(RefusedError, match="already signed"), db.uow() as uow:
        sign_agreement(uow=uow, actor="siro.a", agreement_id=dsa, siro="Synthetic SIRO", on=TODAY)


def test_an_agreement_without_prevent_cannot_be_signed_and_dates_must_run_in_order(db: Db) -> None:
    with db.uow() as uow:
        dsa = record_agreement(uow=uow, actor="ig.a", agreement=agreement(references_prevent=False))
    with pytest.raises(RefusedError, match="Prevent"), db.uow() as uow:
        sign_agreement(uow=uow, actor="siro.a", agreement_id=dsa, siro="S", on=TODAY)
    backwards = NewAgreement(
        partner="P",
        purpose="x",
        references_prevent=True,
        starts_on=date(2027, 1, 1),
        review_on=date(2026, 1, 1),
        expires_on=date(2028, 1, 1),
    )
    with pytest.raises(InvalidFieldError, match="start"), db.uow() as uow:
        record_agreement(uow=uow, actor="ig.a", agreement=backwards)


def test_case_list_shows_an_open_requests_deadline_as_the_next_due_date(db: Db) -> None:
    case_id = open_case(db, on=date(2026, 12, 1))
    partner_request(db, case_id, date(2026, 12, 22))
    with db.uow() as uow:
        (summary,) = list_cases(uow=uow, actor="lead.a")
    assert (summary.next_due_on, summary.next_due_kind) == (date(2026, 12, 31), "partner_request")


def test_the_same_agreement_posted_twice_is_recorded_once(db: Db) -> None:
    with db.uow() as uow:
        first = record_agreement(uow=uow, actor="ig.a", agreement=agreement())
    repeated = replace(
        agreement(), partner="  synthetic county  COUNCIL ", purpose=agreement().purpose.upper()
    )
    with (
        pytest.raises(InvalidFieldError, match=f"already in the register \\(agreement {first}\\)") as refused,
        db.uow() as uow,
    ):
        record_agreement(uow=uow, actor="ig.a", agreement=repeated)
    assert refused.value.field == "partner"
    # A renewal (new dates), or another agreement with the same partner for another purpose, is new.
    for different in (
        replace(
            agreement(), starts_on=date(2027, 4, 1), review_on=date(2028, 3, 1), expires_on=date(2028, 3, 31)
        ),
        replace(agreement(), purpose="Channel panel information gathering"),
        replace(agreement(), references_prevent=False),
    ):
        with db.uow() as uow:
            record_agreement(uow=uow, actor="ig.a", agreement=different)
    with db.uow() as uow:
        assert len(uow.session.scalars(select(DataSharingAgreementRow)).all()) == 4


def test_the_same_contact_posted_twice_at_once_is_recorded_once(db: Db) -> None:
    # Two posts of one form in flight together (two app processes on PostgreSQL): the second waits for
    # the first to commit, then sees its row and is refused.
    contact = NewContact(role=ContactRole.DPO, name="Synthetic DPO", email="dpo@example-trust.nhs.uk")
    outcome: list[BaseException | int] = []

    def second_post() -> None:
        try:
            with db.uow() as uow:
                outcome.append(add_contact(uow=uow, actor="ig.b", contact=contact))
        except InvalidFieldError as error:
            outcome.append(error)

    with db.uow() as uow:
        uow.audit.serialise()
        row = ContactRow(role="dpo", name="synthetic  dpo", email="dpo@example-trust.nhs.uk", phone=None)
        uow.session.add(row)
        uow.session.flush()
        second = threading.Thread(target=second_post)
        second.start()
        time.sleep(0.3)  # long enough for the second post to have written, had it not waited
        uow.audit.record(actor="ig.a", event="governance:contact:create", entity=f"contact:{row.id}")
        uow.commit()
    second.join(10)
    [refusal] = outcome
    assert isinstance(refusal, InvalidFieldError) and refusal.field == "email"
    assert f"already in the register (contact {row.id})" in refusal.message
    with db.uow() as uow:
        assert len(uow.session.scalars(select(ContactRow)).all()) == 1
    # The same person in another role, or another person at a shared address, is a new contact.
    for other in (
        replace(contact, role=ContactRole.CALDICOTT_GUARDIAN),
        replace(contact, name="Synthetic Deputy"),
    ):
        with db.uow() as uow:
            add_contact(uow=uow, actor="ig.a", contact=other)
