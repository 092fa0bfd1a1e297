"""Synthetic cases for document and mail tests, made through the real use cases.

Every value is invented. Each description and piece of content is distinct, so a test can show that
a withheld item, or another person's record, does not appear in a document.
"""

import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pypdf

from prevent_ig.domain.law.vocabulary import Purpose, RecipientType
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.cases import raise_concern
from prevent_ig.services.documents import save_referral_answers
from prevent_ig.services.requests import NewPartnerRequest, record_partner_request
from tests.builders import REQUEST_COMPLETE, input_data
from tests.records.conftest import TODAY, Db
from tests.records.helpers import new_subject, open_case

POLICE = "prevent@northshire.pnn.police.uk"
CHANNEL = "channel@northshire.gov.uk"
NOT_SECURE = "channel.coordinator@northshire-council.org.uk"

IDENTITY = {
    "id": "identity",
    "description": "Name, date of birth and NHS number",
    "category": "identity",
    "relevant": True,
    "justification": "The police must know who the referral is about",
}
CONTACT = {
    "id": "contact",
    "description": "Home address",
    "category": "contact",
    "relevant": True,
    "justification": "The police Prevent team must be able to find the person",
}
HEALTH = {
    "id": "mental-health",
    "description": "Current mental health support",
    "category": "health",
    "relevant": True,
    "justification": "Vulnerability bears on the support offered",
}
HOBBIES = {
    "id": "hobbies",
    "description": "Membership of a chess club",
    "category": "other",
    "relevant": False,
    "justification": "",
}
ANSWERS = {
    "referrer_name": "Synthetic Lead",
    "referrer_email": "prevent.lead@example-trust.nhs.uk",
    "referrer_organisation": "Example NHS Trust (synthetic)",
    "source_contact": "Ward 9 nurses' station, extension 4321",
    "vulnerabilities": "Synthetic: low mood since a bereavement",
    "other_agencies": "Synthetic: school nurse",
}
OTHER_PERSON = {"given_name": "Robin", "family_name": "Otherperson", "nhs_number": "999 000 0026"}
OTHER_CONCERN = "Synthetic other-case concern that must stay in its own case."


@dataclass(frozen=True)
class Referral:
    case_id: int
    assessment_id: int


@dataclass(frozen=True)
class Request:
    case_id: int
    request_id: int
    assessment_id: int


def assess(
    db: Db,
    case_id: int,
    data: dict[str, Any],
    *,
    request_id: int | None = None,
    decided_on: date = TODAY,
    supersedes_id: int | None = None,
) -> int:
    with db.uow() as uow:
        return record_assessment(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            assessment_json=json.dumps(data),
            config=db.config,
            today=decided_on,
            supersedes_id=supersedes_id,
            lead_decision=LeadDecision.FOLLOW,
            request_id=request_id,
        )


def other_case(db: Db) -> int:
    """Another person's case in the same database: none of it may reach a document."""
    with db.uow() as uow:
        return raise_concern(
            uow=uow,
            actor="clinician.b",
            subject=new_subject(**OTHER_PERSON),
            concern=OTHER_CONCERN,
            owner="lead.a",
            on=TODAY,
        )


def referral(
    db: Db,
    *,
    items: list[dict[str, Any]] | None = None,
    answers: dict[str, str] | None = None,
    **overrides: Any,
) -> Referral:
    case_id = open_case(db)
    data = input_data(items=items or [IDENTITY, CONTACT, HEALTH, HOBBIES], **overrides)
    assessment_id = assess(db, case_id, data)
    with db.uow() as uow:
        save_referral_answers(
            uow=uow, actor="lead.a", case_id=case_id, answers=ANSWERS if answers is None else answers
        )
    return Referral(case_id=case_id, assessment_id=assessment_id)


def partner_request(
    db: Db,
    *,
    email: str = CHANNEL,
    complete: bool = True,
    items: list[dict[str, Any]] | None = None,
    decided_on: date = TODAY,
) -> Request:
    case_id = open_case(db)
    with db.uow() as uow:
        request_id = record_partner_request(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            calendar=db.config.calendar,
            today=date(2026, 11, 23),  # recorded the day it arrived
            request=NewPartnerRequest(
                organisation="Northshire Channel Panel (synthetic)",
                person="Synthetic Coordinator",
                role="Channel coordinator",
                email=email,
                recipient_type=RecipientType.CHANNEL_PANEL,
                purpose=Purpose.CHANNEL_INFORMATION_GATHERING,
                received_on=date(2026, 11, 23),
                items_requested=["current mental health support"],
                proforma=complete,
                secure_channel=True,
                consent_position_stated=complete,
                reason_given=True,
                specific=complete,
                legal_powers_cited=["CTSA2015.s38"],
            ),
        )
    request = {**REQUEST_COMPLETE}
    if not complete:
        request.update(proforma=False, consent_position_stated=False, specific=False)
    data = input_data(
        kind="request_response",
        purpose="channel_information_gathering",
        recipient={
            "name": "Northshire Channel Panel (synthetic)",
            "type": "channel_panel",
            "competent_authority": False,
            "email": email,
            "dsa_in_place": True,
        },
        request=request,
        items=items or [IDENTITY, HEALTH, HOBBIES],
    )
    return Request(
        case_id=case_id,
        request_id=request_id,
        assessment_id=assess(db, case_id, data, request_id=request_id, decided_on=decided_on),
    )


CONTENTS = {
    "identity": "Alex Testperson, born 17 May 1990, NHS number 999 000 0018",
    "mental-health": "Synthetic: seen monthly by the community mental health team",
}


def pdf_pages(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF-")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


@dataclass(frozen=True)
class Placed:
    text: str
    x: float
    y: float
    size: float


def placed_text(content: bytes, needle: str) -> list[list[Placed]]:
    """Per page, each run of text containing ``needle`` with where it starts and its font size."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = []
    for page in reader.pages:
        found: list[Placed] = []

        def visit(
            text: str, cm: list[float], tm: list[float], _font: Any, size: float, found: list[Placed] = found
        ) -> None:
            if needle in text:
                matrix = pypdf.mult(tm, cm)
                found.append(Placed(text=text.strip(), x=matrix[4], y=matrix[5], size=size * matrix[0]))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def page_size(content: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(content)).pages[0].mediabox
    return float(box.width), float(box.height)
