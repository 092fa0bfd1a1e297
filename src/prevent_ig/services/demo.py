"""Synthetic demonstration data: subjects and cases at every stage of the pathway.

Everything is invented: names are obviously fake, NHS numbers come from the 999 range reserved for
testing, and addresses are fictional. The data is made through the same use cases as real work, so
it carries a real audit trail.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law.vocabulary import (
    ConsentGiver,
    ConsentStatus,
    Purpose,
    RecipientType,
    SubjectRole,
)
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.domain.pathway.stages import ExitReason
from prevent_ig.domain.records.nhs_number import check_digit
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.cases import NewSubject, age_on, raise_concern
from prevent_ig.services.consents import NewConsent, record_consent
from prevent_ig.services.pathway import advance_case
from prevent_ig.services.requests import NewPartnerRequest, mark_answered, record_partner_request

LEAD = "demo.lead"
CLINICIAN = "demo.clinician"

FIRST = ["Alex", "Sam", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Robin", "Drew"]
LAST = ["Testperson", "Examplesby", "Sampleton", "Fictional", "Demoworth"]

PATHS: list[tuple[str, list[Move], ExitReason | None]] = [
    ("concern raised", [], None),
    ("referred", [Move.REFER], None),
    ("police screening", [Move.REFER, Move.START_SCREENING], None),
    ("information gathering", [Move.REFER, Move.START_SCREENING, Move.GATHER_INFORMATION], None),
    ("channel panel", [Move.REFER, Move.START_SCREENING, Move.GATHER_INFORMATION, Move.TAKE_TO_PANEL], None),
    (
        "support plan",
        [Move.REFER, Move.START_SCREENING, Move.GATHER_INFORMATION, Move.TAKE_TO_PANEL, Move.START_SUPPORT],
        None,
    ),
    (
        "completed",
        [
            Move.REFER,
            Move.START_SCREENING,
            Move.GATHER_INFORMATION,
            Move.TAKE_TO_PANEL,
            Move.START_SUPPORT,
            Move.COMPLETE_SUPPORT,
        ],
        None,
    ),
    ("signposted", [Move.REFER, Move.START_SCREENING, Move.EXIT], ExitReason.SIGNPOSTED),
    (
        "escalated",
        [Move.REFER, Move.START_SCREENING, Move.GATHER_INFORMATION, Move.EXIT],
        ExitReason.ESCALATED_POLICE_LED,
    ),
    (
        "non-consent",
        [Move.REFER, Move.START_SCREENING, Move.GATHER_INFORMATION, Move.TAKE_TO_PANEL, Move.EXIT],
        ExitReason.NON_CONSENT,
    ),
    (
        "vulnerability reduced",
        [
            Move.REFER,
            Move.START_SCREENING,
            Move.GATHER_INFORMATION,
            Move.TAKE_TO_PANEL,
            Move.START_SUPPORT,
            Move.EXIT,
        ],
        ExitReason.NO_OR_REDUCED_VULNERABILITY,
    ),
    (
        "6-month review",
        [Move.REFER, Move.START_SCREENING, Move.EXIT, Move.RECORD_6_MONTH_REVIEW],
        ExitReason.SIGNPOSTED,
    ),
    (
        "12-month review",
        [
            Move.REFER,
            Move.START_SCREENING,
            Move.EXIT,
            Move.RECORD_6_MONTH_REVIEW,
            Move.RECORD_12_MONTH_REVIEW,
        ],
        ExitReason.SIGNPOSTED,
    ),
    (
        "archived",
        [
            Move.REFER,
            Move.START_SCREENING,
            Move.EXIT,
            Move.RECORD_6_MONTH_REVIEW,
            Move.RECORD_12_MONTH_REVIEW,
            Move.ARCHIVE,
        ],
        ExitReason.SIGNPOSTED,
    ),
    ("not referred", [Move.CLOSE_WITHOUT_REFERRAL], None),
]


def synthetic_nhs_number(index: int) -> str:
    """A valid NHS number in the 999 testing range, different for each index."""
    for serial in range(index * 10, index * 10 + 10):
        first_nine = f"999{serial:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)
    raise ValueError(f"no valid NHS number in block {index}")


@dataclass(frozen=True)
class DemoResult:
    case_ids: list[int]


def load_demo_data(*, uow_factory: Any, config: EngineConfig, today: date) -> DemoResult:
    case_ids = []
    for index, (label, moves, exit_reason) in enumerate(PATHS):
        case_ids.append(
            _one_case(
                uow_factory,
                config=config,
                today=today,
                index=index,
                label=label,
                moves=moves,
                exit_reason=exit_reason,
            )
        )
    return DemoResult(case_ids=case_ids)


def _one_case(
    uow_factory: Any,
    *,
    config: EngineConfig,
    today: date,
    index: int,
    label: str,
    moves: list[Move],
    exit_reason: ExitReason | None,
) -> int:
    reviews = moves.count(Move.RECORD_6_MONTH_REVIEW) + moves.count(Move.RECORD_12_MONTH_REVIEW)
    # The last move lands a few days before today, so the demo shows deadlines both past and coming.
    opened = today - timedelta(days=2 * len(moves) + 183 * reviews + 1 + index % 3)
    born = date(opened.year - 15 - (index * 7) % 50, 1 + index % 12, 1 + index % 28)
    age = age_on(born, opened)  # the assessment's answer must agree with the record
    subject = NewSubject(
        role=[SubjectRole.PATIENT, SubjectRole.SERVICE_USER, SubjectRole.STAFF][index % 3],
        given_name=FIRST[index % len(FIRST)],
        family_name=LAST[index % len(LAST)],
        date_of_birth=born,
        address=f"{index + 1} Synthetic Street, Demotown, ZZ99 {index % 10}ZZ",
        nhs_number=synthetic_nhs_number(index),
        adult_at_risk=age >= 18 and index % 4 == 0,
        has_capacity=True,
        capacity_assessed_on=opened,
    )
    with uow_factory() as uow:
        case_id = raise_concern(
            uow=uow,
            actor=CLINICIAN,
            subject=subject,
            owner=LEAD,
            on=opened,
            concern=f"Synthetic demo concern ({label}): remarks in clinic suggesting exposure to "
            "extremist material online.",
        )
    referral = Move.REFER in moves
    data = _referral_input(age, share=referral or not moves)
    if not moves:
        # Not yet referred: the lead has asked the Caldicott guardian first, so the demo's adviser has a
        # question waiting in their queue and the lead's dashboard shows it.
        data["ig_advice"] = {"adviser_role": "caldicott_guardian", "supports_sharing": None}
    with uow_factory() as uow:
        record_assessment(
            uow=uow,
            actor=LEAD,
            case_id=case_id,
            config=config,
            today=opened,
            assessment_json=json.dumps(data),
            lead_decision=LeadDecision.FOLLOW,
        )
    if not moves:
        return case_id
    day = opened
    request_id = 0
    answered_on: date | None = None
    for move in moves:
        day += (
            timedelta(days=2)
            if move not in (Move.RECORD_6_MONTH_REVIEW, Move.RECORD_12_MONTH_REVIEW)
            else (timedelta(days=183))
        )
        if move is Move.GATHER_INFORMATION:
            request_id = _panel_request(uow_factory, config, case_id, day)
        if move is Move.TAKE_TO_PANEL or (move is Move.EXIT and request_id and answered_on is None):
            # The panel's request is answered before the panel meets, or when the case leaves Channel
            # first (escalated): a closed case is not left with an open request as its next deadline.
            with uow_factory() as uow:
                mark_answered(uow=uow, actor=LEAD, request_id=request_id, on=day)
            answered_on = day
        if move is Move.START_SUPPORT:
            _channel_consent(uow_factory, case_id, day, age_on(born, day))
        with uow_factory() as uow:
            advance_case(
                uow=uow,
                actor=LEAD,
                case_id=case_id,
                move=move,
                on=day,
                calendar=config.calendar,
                exit_reason=exit_reason if move is Move.EXIT else None,
                # The panel's request recorded above asked: its clock is the deadline.
                information_request_id=request_id if move is Move.GATHER_INFORMATION else None,
            )
    return case_id


def _referral_input(age: int, *, share: bool) -> dict[str, Any]:
    return {
        "kind": "referral",
        "purpose": "prevent_referral",
        "subject": {"role": "patient", "age": age, "adult_at_risk": False, "has_capacity": True},
        "consent": {"status": "given", "given_by": "subject", "reason_not_sought": None}
        if share
        else {"status": "refused", "given_by": None, "reason_not_sought": None},
        "recipient": {
            "name": "Demoshire Police Prevent Team (synthetic)",
            "type": "police",
            "competent_authority": True,
            "email": "prevent@demoshire.pnn.police.uk",
            "dsa_in_place": True,
        },
        "request": None,
        "grounds": {
            "risk_of_harm_to_self": False,
            "risk_of_harm_to_others": share,
            "substantial_public_interest": share,
            "informing_would_prejudice": False,
            "best_interests": False,
            "legal_requirement": None,
            "legal_requirement_detail": None,
            "rationale": "Synthetic demo rationale.",
        },
        # The address is contact detail, released as its own item: the referral form prints it only
        # when a contact item is released (referral_form_vN.yaml), and the police need it to find them.
        "items": [
            {
                "id": "identity",
                "description": "Name, date of birth and NHS number",
                "category": "identity",
                "relevant": True,
                "justification": "Police need to identify the person",
            },
            {
                "id": "contact",
                "description": "Home address",
                "category": "contact",
                "relevant": True,
                "justification": "Police need to find the person to arrange Prevent support",
            },
        ],
        "ig_advice": None,
    }


def _panel_request(uow_factory: Any, config: EngineConfig, case_id: int, day: date) -> int:
    with uow_factory() as uow:
        return record_partner_request(
            uow=uow,
            actor=LEAD,
            case_id=case_id,
            calendar=config.calendar,
            today=day,  # recorded the day it arrived, in the demo's story
            request=NewPartnerRequest(
                organisation="Demoshire County Council Channel Panel (synthetic)",
                person="Demo Channel Coordinator",
                role="Channel coordinator",
                email="channel@demoshire.gov.uk",
                recipient_type=RecipientType.CHANNEL_PANEL,
                purpose=Purpose.CHANNEL_INFORMATION_GATHERING,
                received_on=day,
                items_requested=["current mental health support", "GP contact details"],
                proforma=True,
                secure_channel=True,
                consent_position_stated=True,
                reason_given=True,
                specific=True,
                legal_powers_cited=["CTSA2015.s38"],
            ),
        )


def _channel_consent(uow_factory: Any, case_id: int, day: date, age: int) -> None:
    with uow_factory() as uow:
        record_consent(
            uow=uow,
            actor=LEAD,
            case_id=case_id,
            on=day,
            consent=NewConsent(
                scope="channel_support",
                status=ConsentStatus.GIVEN,
                has_capacity=True,
                sought_by=LEAD,
                sought_on=day,
                given_by=ConsentGiver.SUBJECT if age >= 18 else ConsentGiver.PARENT_OR_GUARDIAN,
            ),
        )
