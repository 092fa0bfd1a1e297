"""Request and response bodies of the API (kept apart from the database tables)."""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prevent_ig.adapters.records.tables import MAX_ID
from prevent_ig.domain.calendar.england_date import EARLIEST_YEAR, LATEST_YEAR
from prevent_ig.domain.law.vocabulary import (
    ConsentGiver,
    Purpose,
    ReasonNotSought,
    RecipientType,
    SubjectRole,
)
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.domain.pathway.stages import ExitReason

RecordDate = Annotated[
    date,
    Field(
        ge=date(EARLIEST_YEAR, 1, 1),
        le=date(LATEST_YEAR, 12, 31),
        # JSON Schema has no bounds for a date; the pattern states the same range for clients.
        json_schema_extra={"pattern": "^(19|20)[0-9]{2}-"},
    ),
]
"""A date the service records: in the years 1900 to 2099 (england_date.LATEST_YEAR says why)."""
Text = Field(min_length=1, max_length=10_000)
Name = Field(min_length=1, max_length=200)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubjectIn(Body):
    role: SubjectRole
    given_name: str = Name
    family_name: str = Name
    date_of_birth: RecordDate
    address: str = Text
    nhs_number: str | None = Field(default=None, max_length=20, description="Checked with Modulus 11")
    adult_at_risk: bool = False


class CaseIn(Body):
    subject: SubjectIn
    concern: str = Text
    owner: str = Field(default="unassigned", min_length=1, max_length=200)


class Created(BaseModel):
    id: int


class TransitionIn(Body):
    move: Move
    version: int = Field(ge=1, le=MAX_ID, description="The case version you last read; a stale one gets 409")
    exit_reason: ExitReason | None = None
    on: RecordDate | None = Field(
        default=None,
        description="The day the move happened; default today. Not after today in England, nor before the "
        "case was opened, its last move, or the decision or consent the move needs (the same day is fine)",
    )
    information_request_on: RecordDate | None = Field(
        default=None,
        description="gather_information: the day the panel's request arrived (default on); from the case's "
        "opening to on",
    )
    information_request_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="gather_information: the case's recorded partner request for Channel information "
        "gathering that asked; its arrival is then the day asked (information_request_on, if given, must "
        "match it) and its own due date the deadline, so the case keeps none of its own",
    )


class CaseState(BaseModel):
    id: int
    stage: str
    version: int
    closed_on: date | None
    exit_reason: str | None
    next_due_on: date | None


class RequestIn(Body):
    organisation: str = Name
    person: str = Name
    role: str = Name
    email: str = Field(min_length=3, max_length=320)
    recipient_type: RecipientType
    purpose: Purpose
    received_on: RecordDate
    items_requested: list[str] = Field(min_length=1, max_length=100)
    proforma: bool
    secure_channel: bool
    consent_position_stated: bool
    reason_given: bool
    specific: bool
    legal_powers_cited: list[str] = Field(default_factory=list, max_length=20)


class ConsentIn(Body):
    scope: Literal["sharing", "channel_support"] = Field(
        description="Consent to share information, or to take part in Channel support (CTSA 2015 s36(4)(b))"
    )
    status: Literal["given", "refused", "not_sought"] = Field(
        description="A withdrawal is recorded against the consent that was given (…/withdrawal)"
    )
    has_capacity: bool
    sought_by: str | None = Field(default=None, min_length=1, max_length=200)
    sought_on: RecordDate | None = Field(default=None, description="Required unless status is not_sought")
    given_by: ConsentGiver | None = Field(default=None, description="Required exactly when status is given")
    reason_not_sought: ReasonNotSought | None = Field(
        default=None, description="Required exactly when status is not_sought"
    )
    capacity_assessed_by: str | None = Field(default=None, min_length=1, max_length=200)
    best_interests_decision: str | None = Field(default=None, min_length=1, max_length=10_000)
    best_interests_consulted: str | None = Field(
        default=None, min_length=1, max_length=10_000, description="Required with a best interests decision"
    )


class ClarificationIn(Body):
    missing: list[str] = Field(
        min_length=1,
        max_length=20,
        description="What the requestor must supply: the checklist's gaps (request_proforma, "
        "request_secure_channel, request_consent_position, request_reason, request_specific, "
        "request_legal_powers) or the lead's own words",
    )
    on: RecordDate | None = Field(
        default=None,
        description="The day it was asked for; default today. Not after today in England, nor before the "
        "request's clock started. Asked after the due date, the request stays late (oversight report)",
    )

    @field_validator("missing")
    @classmethod
    def _each_named(cls, missing: list[str]) -> list[str]:
        if any(not text.strip() or len(text) > 200 for text in missing):
            raise ValueError("each entry must be 1 to 200 characters, not blank")
        return missing


class ClarificationAnswerIn(Body):
    on: RecordDate | None = Field(
        default=None,
        description="The day the requestor answered; default today. The 5 working days start again from it",
    )
    supplied: list[str] = Field(
        default=[],
        max_length=5,
        description="The checks their answer now meets: proforma, secure_channel, consent_position_stated, "
        "reason_given, specific",
    )
    powers: list[str] = Field(
        default=[], max_length=20, description="Provision ids their answer cites, added to the request's own"
    )


class AnswerIn(Body):
    on: RecordDate | None = Field(
        default=None,
        description="The day the answer went to the requestor; default today. Not after today, nor before "
        "the request's clock last started",
    )


class DueOut(BaseModel):
    due_on: date = Field(description="The request's new due date: 5 working days in England from the answer")


class WithdrawalIn(Body):
    on: RecordDate | None = Field(
        default=None, description="Default today; not before the consent was recorded"
    )


class WithdrawalOut(BaseModel):
    consent_id: int
    scope: str = Field(
        description="Withdrawn consent to Channel support means support must end: move the case out"
    )
    flagged_disclosures: list[int] = Field(
        description="For consent to sharing, every disclosure on the case but those never delivered, now "
        "flagged: tell each recipient"
    )


class DecisionIn(Body):
    assessment: dict[str, Any] = Field(description="A sharing-assessment input (see SharingAssessmentInput)")
    lead_decision: str = Field(pattern="^(follow|depart)$")
    lead_reason: str | None = Field(default=None, max_length=10_000)
    request_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    supersedes_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class DecisionOut(BaseModel):
    id: int
    case_id: int
    purpose: str
    outcome: str
    decisive: str
    lead_decision: str
    decided_on: date
    decided_by: str
    output: dict[str, Any]


class ReleasedItemIn(Body):
    id: str = Field(min_length=1, max_length=200)
    content: str = Field(max_length=100_000)


class DisclosureIn(Body):
    items: list[ReleasedItemIn] = Field(min_length=1, max_length=100)
    method: str = Field(pattern="^(secure_email|secure_portal|in_person|telephone)$")
    on: RecordDate | None = Field(
        default=None, description="Default today; from the day of the decision to today in England"
    )


class VerificationOut(BaseModel):
    ok: bool
    count: int
    head: str
    first_broken_seq: int | None
    problem: str | None
