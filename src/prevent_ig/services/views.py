"""What use cases return to entrypoints: plain, serialisable read models (no ORM objects leak out)."""

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class CaseSummary(View):
    id: int
    stage: str
    owner: str
    opened_on: date
    next_due_on: date | None
    next_due_kind: str | None


class SubjectView(View):
    id: int
    role: str
    nhs_number: str | None
    given_name: str
    family_name: str
    date_of_birth: date
    address: str
    adult_at_risk: bool
    has_capacity: bool | None
    capacity_assessed_on: date | None


class TimelineEntry(View):
    """One step in a case's life. A timeline reads in the order things happened: by ``on``, then by
    the order entered for steps of the same day, so a step recorded late takes its place in the story."""

    id: int
    on: date
    """The day the step happened."""
    recorded_on: date
    """The day in England it was entered: later than ``on`` for a step recorded late, which an auditor
    reading the timeline needs to see."""
    actor: str
    kind: str
    from_stage: str | None
    to_stage: str | None
    summary: str


class ConsentView(View):
    id: int
    scope: str
    sought: bool
    sought_by: str | None
    sought_on: date | None
    status: str
    given_by: str | None
    reason_not_sought: str | None
    has_capacity: bool
    best_interests_decision: str | None
    best_interests_consulted: str | None
    recorded_on: date
    withdrawn_on: date | None


class RequestView(View):
    id: int
    organisation: str
    person: str
    role: str
    email: str
    recipient_type: str
    purpose: str
    received_on: date
    proforma: bool
    secure_channel: bool
    consent_position_stated: bool
    reason_given: bool
    specific: bool
    legal_powers_cited: list[str]
    due_on: date
    status: str
    answered_on: date | None
    """The day the answer went: with ``due_on``, whether it was on time, without the oversight report."""
    items_requested: list[Any]
    clarifications: list[dict[str, Any]]


class AssessmentView(View):
    id: int
    purpose: str
    outcome: str
    decisive: str
    rules_version: str
    decided_on: date
    decided_by: str
    rationale: str | None
    """The professional's written reasoning (the input's ``grounds.rationale``)."""
    lead_decision: str
    lead_reason: str | None
    supersedes_id: int | None
    superseded_by_id: int | None
    request_id: int | None


class DisclosureView(View):
    id: int
    assessment_id: int
    recipient_name: str
    recipient_email: str | None
    method: str
    marking: str
    item_ids: list[str]
    disclosed_on: date
    disclosed_by: str
    consent_withdrawn_on: date | None
    undelivered_on: date | None
    """The day the secure email carrying it failed for good: the recipient never received it, so it is
    not information shared (a partner request it answered is open again). None otherwise."""


class CaldicottEntryView(View):
    """An entry of the Caldicott log: advice from the IG team, DPO or Caldicott guardian (guidance §2)."""

    id: int
    logged_on: date
    case_id: int | None
    assessment_id: int | None
    """The assessment the entry is about, one of its case's own (migration 0005)."""
    question: str
    adviser: str
    adviser_role: str
    advice: str
    decision: str


class CaseDetail(View):
    id: int
    stage: str
    owner: str
    raised_by: str
    concern: str
    opened_on: date
    closed_on: date | None
    closure: str | None
    exit_reason: str | None
    information_due_on: date | None
    information_request_id: int | None
    """The partner request that asked for the information, whose own due date is then the deadline."""
    review_6_due_on: date | None
    review_12_due_on: date | None
    next_due_on: date | None
    allowed_moves: list[str]
    version: int
    subject: SubjectView
    consents: list[ConsentView]
    requests: list[RequestView]
    assessments: list[AssessmentView]
    disclosures: list[DisclosureView]
    ig_advice: list[CaldicottEntryView]
    """The case's entries in the Caldicott log, oldest first."""
    timeline: list[TimelineEntry]


class DueItem(View):
    kind: str
    case_id: int
    item_id: int | None
    """The partner request's id for kind ``partner_request``; otherwise None."""
    due_on: date
    overdue: bool
    working_days_left: int
