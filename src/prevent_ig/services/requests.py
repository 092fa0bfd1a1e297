"""Partner requests: intake with the §5 checklist, the 5-working-day clock, clarifications."""

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select

from prevent_ig.adapters.records.tables import ClarificationRow, PartnerRequestRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.england_date import year_problem
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.law.catalogue import catalogue_ids
from prevent_ig.domain.law.vocabulary import Purpose, RecipientType
from prevent_ig.domain.pathway import request_clock
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, parse_address
from prevent_ig.services.cases import check_step_date, record_case_step, require_case
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPartnerRequest:
    organisation: str
    person: str
    role: str
    email: str
    recipient_type: RecipientType
    purpose: Purpose
    received_on: date
    items_requested: list[str]
    proforma: bool
    secure_channel: bool
    consent_position_stated: bool
    reason_given: bool
    specific: bool
    legal_powers_cited: list[str] = field(default_factory=list)


def record_partner_request(
    *,
    uow: UnitOfWork,
    actor: str,
    case_id: int,
    request: NewPartnerRequest,
    calendar: WorkingDayCalendar,
    today: date,
) -> int:
    """Record the request and its deadline. ``today`` is the day it is recorded (the entrypoint's
    date in England), which the request cannot have arrived after."""
    _check_described(request)
    try:
        # Kept in the xn-- form of an internationalised domain: the form a reply can be sent to.
        email = parse_address(request.email).idna_address
    except MalformedAddressError as error:
        raise InvalidFieldError("email", f"is not a valid email address: {error}") from None
    unknown = [p for p in request.legal_powers_cited if p not in catalogue_ids()]
    if unknown:
        raise InvalidFieldError("legal_powers_cited", f"not in the catalogue: {', '.join(unknown)}")
    if request.received_on > today:
        # A later date than today would push the deadline out by the same number of days.
        raise InvalidFieldError("received_on", "cannot be in the future")
    if (problem := year_problem(request.received_on)) is not None:
        raise InvalidFieldError("received_on", problem)
    require_case(uow, case_id)
    due = request_clock.respond_by(calendar, request.received_on)
    row = PartnerRequestRow(
        case_id=case_id,
        **{
            **asdict(request),
            "email": email,
            "recipient_type": request.recipient_type.value,
            "purpose": request.purpose.value,
        },
        due_on=due,
        status="open",
    )
    uow.session.add(row)
    uow.session.flush()
    record_case_step(
        uow,
        case_id=case_id,
        on=request.received_on,
        actor=actor,
        kind="partner_request",
        summary=f"Request {row.id} received from {request.organisation}; due {due.isoformat()}.",
        event="case:request:create",
        entity=f"request:{row.id}",
        change={**asdict(request), "email": email, "due_on": due},  # as stored, the deadline with it
    )
    uow.commit()
    return row.id


def _check_described(request: NewPartnerRequest) -> None:
    """Who asks and what for, checked here so the API, the web form and email intake keep one rule: a
    blank organisation or item would go on the due list, the letters and the disclosure pack as
    nothing at all, and a response could not be judged against what was asked."""
    for name in ("organisation", "person", "role"):
        if not getattr(request, name).strip():
            raise InvalidFieldError(name, "must not be blank")
    if not request.items_requested:
        raise InvalidFieldError("items_requested", "list what the partner asks for")
    for number, item in enumerate(request.items_requested):
        if not item.strip():
            # Numbered from 0, as the API's and the details file's own checks number list entries.
            raise InvalidFieldError(f"items_requested.{number}", "must not be blank")


def _request(uow: UnitOfWork, request_id: int) -> PartnerRequestRow:
    row = uow.session.get(PartnerRequestRow, request_id)
    if row is None:
        raise NotFoundError(f"partner request {request_id} does not exist")
    return row


def ask_for_clarification(
    *, uow: UnitOfWork, actor: str, request_id: int, missing: list[str], on: date
) -> int:
    """Stop the clock: share nothing until the requestor answers (guidance §5, "being specific")."""
    row = _request(uow, request_id)
    if row.status != "open":
        raise RefusedError(f"request {request_id} is {row.status.replace('_', ' ')}, not open")
    if not missing:
        raise InvalidFieldError("missing", "list what the requestor must supply")
    check_step_date(uow, on, earliest=clock_started(uow, row), since=f"request {request_id}'s clock started")
    clarification = ClarificationRow(request_id=row.id, sent_on=on, missing=missing, sent_by=actor)
    uow.session.add(clarification)
    row.status = "awaiting_clarification"
    uow.session.flush()
    record_case_step(
        uow,
        case_id=row.case_id,
        on=on,
        actor=actor,
        kind="clarification",
        summary=f"Clarification {clarification.id} asked of the requestor for request {row.id}.",
        event="case:request:clarify",
        entity=f"clarification:{clarification.id}",
        change={"missing": missing, "on": on},
    )
    uow.commit()
    return clarification.id


CHECKLIST = ("proforma", "secure_channel", "consent_position_stated", "reason_given", "specific")
"""The §5 checks a request is judged on, each a column of the request; a clarification may supply them."""


def clarification_received(
    *,
    uow: UnitOfWork,
    actor: str,
    request_id: int,
    on: date,
    calendar: WorkingDayCalendar,
    supplied: Collection[str] = (),
    powers: Collection[str] = (),
) -> date:
    """The requestor answered: the 5-working-day clock restarts from the answer. ``supplied`` are the
    checks their answer now meets, so the request is judged on what it says now, not on what it lacked
    when the clarification was asked for. ``powers`` are the provision ids their answer cites, added
    to those the request cited: the legal powers are on the §5 checklist too, and a request that still
    cites none is sent back for clarification again by the engine (rules step 2)."""
    row = _request(uow, request_id)
    if row.status != "awaiting_clarification":
        raise RefusedError(f"request {request_id} is not awaiting clarification")
    if unknown := sorted(set(supplied) - set(CHECKLIST)):
        raise InvalidFieldError(
            "supplied", f"{', '.join(unknown)}: not a check; allowed: {', '.join(CHECKLIST)}"
        )
    if unknown_powers := [p for p in powers if p not in catalogue_ids()]:
        raise InvalidFieldError("powers", f"not in the catalogue: {', '.join(unknown_powers)}")
    unanswered = [c for c in row_clarifications(uow, row.id) if c.resolved_on is None]
    asked = max((c.sent_on for c in unanswered), default=row.received_on)
    check_step_date(uow, on, earliest=asked, since="the clarification was asked for")
    for clarification in unanswered:
        clarification.resolved_on = on
    for check in supplied:
        setattr(row, check, True)
    cited = list(dict.fromkeys([*row.legal_powers_cited, *powers]))
    row.legal_powers_cited = cited  # a new list: the JSON column sees an assignment, not a mutation
    row.status = "open"
    row.due_on = request_clock.respond_by(calendar, on)
    record_case_step(
        uow,
        case_id=row.case_id,
        on=on,
        actor=actor,
        kind="clarification",
        summary=f"Clarification received for request {row.id}; now due {row.due_on.isoformat()}.",
        event="case:request:update",
        entity=f"request:{row.id}",
        change={
            "status": "open",
            "due_on": row.due_on,
            "supplied": sorted(supplied),
            "legal_powers_cited": cited,
        },
    )
    uow.commit()
    return row.due_on


def clock_started(uow: UnitOfWork, row: PartnerRequestRow) -> date:
    """The day the request's 5 working days last began: its arrival, or the last clarification answered."""
    answers = (c.resolved_on for c in row_clarifications(uow, row.id))
    return request_clock.clock_started(row.received_on, answers)


def row_clarifications(uow: UnitOfWork, request_id: int) -> list[ClarificationRow]:
    return list(
        uow.session.scalars(select(ClarificationRow).where(ClarificationRow.request_id == request_id))
    )


def mark_answered(*, uow: UnitOfWork, actor: str, request_id: int, on: date) -> None:
    """The response went to the requestor: the request leaves the due list."""
    row = _request(uow, request_id)
    if row.status == "answered":
        raise RefusedError(f"request {request_id} was already answered on {row.answered_on}")
    if row.status != "open":
        # While the requestor clarifies, nothing is shared; answering then would also be judged against
        # a due date from before the clock stopped.
        raise RefusedError(f"request {request_id} is waiting for the requestor to clarify")
    # An answer dated before the request arrived (or before its clarification) would be counted on time
    # by the oversight report, with a negative number of days taken.
    check_step_date(uow, on, earliest=clock_started(uow, row), since=f"request {request_id}'s clock started")
    row.status = "answered"
    row.answered_on = on
    record_case_step(
        uow,
        case_id=row.case_id,
        on=on,
        actor=actor,
        kind="partner_request",
        summary=f"Request {row.id} answered.",
        event="case:request:update",
        entity=f"request:{row.id}",
        change={"status": "answered", "answered_on": on},
    )
    uow.commit()
