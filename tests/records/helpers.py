"""Small builders for records tests: a subject, a case, an assessment input (keyword-only)."""

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from prevent_ig.adapters.records.database import SqliteWriterGate
from prevent_ig.domain.law.vocabulary import (
    AdviserRole,
    ConsentGiver,
    ConsentStatus,
    Purpose,
    RecipientType,
    SubjectRole,
)
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.advice import Advice, record_advice
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.cases import NewSubject, age_on, get_case_row, raise_concern
from prevent_ig.services.consents import NewConsent, record_consent
from prevent_ig.services.disclosures import ReleasedItem, record_disclosure
from prevent_ig.services.pathway import advance_case
from prevent_ig.services.requests import NewPartnerRequest, record_partner_request
from tests.builders import input_data
from tests.fixtures_db import TODAY, Db


def new_subject(**overrides: Any) -> NewSubject:
    values: dict[str, Any] = {
        "role": SubjectRole.PATIENT,
        "given_name": "Alex",
        "family_name": "Testperson",
        "date_of_birth": date(1990, 5, 17),
        "address": "1 Synthetic Street, Demotown",
        "nhs_number": "999 000 0018",
        "adult_at_risk": False,
        "has_capacity": True,
    }
    values.update(overrides)
    return NewSubject(**values)


def open_case(db: Db, *, on: date = TODAY, **subject: Any) -> int:
    with db.uow() as uow:
        return raise_concern(
            uow=uow,
            actor="clinician.a",
            subject=new_subject(**subject),
            concern="Synthetic concern noticed in clinic.",
            owner="lead.a",
            on=on,
        )


def assess_case(
    db: Db,
    case_id: int,
    *,
    decision: LeadDecision = LeadDecision.FOLLOW,
    reason: str | None = None,
    supersedes_id: int | None = None,
    request_id: int | None = None,
    on: date = TODAY,
    **overrides: Any,
) -> int:
    """A decision on the case, decided ``on`` (a move it allows cannot be dated before it); the person's
    age is the one their recorded date of birth gives that day, as the use case requires, unless the
    test says otherwise."""
    with db.uow() as uow:
        born = get_case_row(uow, case_id).subject.date_of_birth
        subject = {"age": age_on(born, on), **overrides.pop("subject", {})}
        return record_assessment(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            assessment_json=json.dumps(input_data(subject=subject, **overrides)),
            config=db.config,
            today=on,
            lead_decision=decision,
            lead_reason=reason,
            supersedes_id=supersedes_id,
            request_id=request_id,
        )


def walk_to_panel(db: Db, case_id: int, on: date = TODAY) -> None:
    """A followed referral decision, then each move up to the Channel panel, all on ``on``."""
    assess_case(db, case_id, on=on)
    for move in (Move.REFER, Move.START_SCREENING, Move.GATHER_INFORMATION, Move.TAKE_TO_PANEL):
        with db.uow() as uow:
            advance_case(
                uow=uow, actor="lead.a", case_id=case_id, move=move, on=on, calendar=db.config.calendar
            )


REQUESTOR: dict[str, Any] = {
    "name": "Synthetic Council",
    "type": "channel_panel",
    "competent_authority": False,
    "email": "channel@synthetic.gov.uk",
    "dsa_in_place": True,
}
"""Who made ``partner_request``'s request, as a decision answering it names them: the answer goes there."""


def partner_request(
    db: Db,
    case_id: int,
    received: date,
    *,
    organisation: str = "Synthetic Council",
    purpose: Purpose = Purpose.CHANNEL_INFORMATION_GATHERING,
    specific: bool = False,
    powers: tuple[str, ...] = ("CTSA2015.s38",),
    email: str = REQUESTOR["email"],
    checks: Mapping[str, bool] | None = None,
) -> int:
    """A Channel panel's request for information gathering, received on ``received``: on the proforma,
    securely, stating the consent position and a reason (``checks`` overrides any of the five)."""
    met = {
        "proforma": True,
        "secure_channel": True,
        "consent_position_stated": True,
        "reason_given": True,
        "specific": specific,
        **(checks or {}),
    }
    with db.uow() as uow:
        return record_partner_request(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            calendar=db.config.calendar,
            today=received,  # recorded the day it arrived
            request=NewPartnerRequest(
                organisation=organisation,
                person="A Coordinator",
                role="Channel coordinator",
                email=email,
                recipient_type=RecipientType.CHANNEL_PANEL,
                purpose=purpose,
                received_on=received,
                items_requested=["x"],
                legal_powers_cited=list(powers),
                **met,
            ),
        )


def disclose(db: Db, assessment_id: int, on: date = TODAY) -> int:
    """A disclosure of the demographics item the default assessment input releases."""
    with db.uow() as uow:
        return record_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            method="secure_email",
            on=on,
            items=[ReleasedItem(id="demographics", content="synthetic")],
        )


@contextmanager
def gate_held_by_another_thread(gate: SqliteWriterGate) -> Iterator[None]:
    """The writer gate held by another thread of this process until the block ends."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def sharing_consent(db: Db, case_id: int, *, actor: str = "lead.a", given: bool = True) -> int:
    """Consent to sharing recorded on the case today: given by the person, or refused."""
    return consent_recorded(
        db,
        case_id,
        scope="sharing",
        status=ConsentStatus.GIVEN if given else ConsentStatus.REFUSED,
        giver=ConsentGiver.SUBJECT if given else None,
        actor=actor,
    )


def consent_recorded(
    db: Db,
    case_id: int,
    *,
    scope: str,
    status: ConsentStatus,
    giver: ConsentGiver | None,
    has_capacity: bool = True,
    actor: str = "lead.a",
) -> int:
    """A consent record on the case, sought and recorded today (the test clock's day)."""
    today = db.clock.moment.date()
    with db.uow() as uow:
        return record_consent(
            uow=uow,
            actor=actor,
            case_id=case_id,
            on=today,
            consent=NewConsent(
                scope=scope,
                status=status,
                has_capacity=has_capacity,
                sought_by=actor,
                sought_on=today,
                given_by=giver,
            ),
        )


def advice_recorded(db: Db, assessment_id: int, *, supports: bool) -> int:
    """The Caldicott guardian's answer to a decision awaiting advice, logged today; its log entry."""
    with db.uow() as uow:
        entry = record_advice(
            uow=uow,
            actor="adviser.a",
            assessment_id=assessment_id,
            on=db.clock.moment.date(),
            advice=Advice(
                adviser="Synthetic Guardian",
                adviser_role=AdviserRole.CALDICOTT_GUARDIAN,
                supports_sharing=supports,
                advice="Synthetic advice.",
            ),
        )
        uow.commit()
    return entry
