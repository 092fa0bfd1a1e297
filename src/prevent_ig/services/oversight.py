"""Oversight: proof afterwards that partner requests were answered on time.

The guidance sets 5 working days from request to pre-panel for Channel information gathering
(Diagram 1); prevent-ig keeps the same clock for every partner request as its working standard, the
clock stopping while the requestor clarifies and restarting from their answer (``services.requests``
keeps each request's due date). The report lists the requests received in a period with what became of
each, and counts them, the guidance's own deadline apart, so a Prevent lead can report to the
safeguarding board and an auditor can check the record without reading a single case.

It names partner organisations and case ids but no one's personal details, and reading it is audited.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, select

from prevent_ig.adapters.csv_export import csv_text
from prevent_ig.adapters.records.tables import ClarificationRow, PartnerRequestRow, table_of
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.law.vocabulary import Purpose
from prevent_ig.domain.pathway.request_clock import (
    clock_started,
    deadline_missed_before_clarifying,
    is_overdue,
)
from prevent_ig.services.errors import InvalidFieldError

DEFAULT_DAYS = 91
"""With no period chosen: the last quarter, the usual reporting cycle (web and CLI alike)."""
MAX_DAYS = 3 * 366
"""The longest period one report covers: three years, enough for any board or audit cycle."""


class Timeliness(StrEnum):
    ANSWERED_ON_TIME = "answered_on_time"
    ANSWERED_LATE = "answered_late"
    OPEN_IN_TIME = "open_in_time"
    OPEN_OVERDUE = "open_overdue"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    """The clock is stopped: neither on time nor late yet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestTimeliness:
    request_id: int
    case_id: int
    organisation: str
    recipient_type: str
    purpose: str
    received_on: date
    due_on: date
    """The final due date: restarted from the requestor's answer after each clarification."""
    answered_on: date | None
    clarifications: int
    working_days_taken: int | None
    """Working days on the clock: from receipt, or from the requestor's last clarification, to the
    answer (the time spent waiting for them is not counted); None while unanswered."""
    missed_due_on: date | None = None
    """The due date that had passed when a clarification was asked for: the request is late however
    soon the restarted clock's answer came (``request_clock.deadline_missed_before_clarifying``)."""
    timeliness: Timeliness

    @property
    def guidance_deadline(self) -> bool:
        """Whether the guidance itself sets the deadline (Channel information gathering, Diagram 1)."""
        return self.purpose == Purpose.CHANNEL_INFORMATION_GATHERING.value


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelinessReport:
    start: date
    end: date
    today: date
    requests: list[RequestTimeliness]

    def count(self, timeliness: Timeliness) -> int:
        return sum(1 for r in self.requests if r.timeliness is timeliness)

    @property
    def answered_on_time_share(self) -> float | None:
        """Of the requests answered, the share answered on time; None when none were answered."""
        return _on_time_share(self.requests)

    @property
    def guidance_deadline_on_time_share(self) -> float | None:
        """The same, of the Channel information-gathering requests only (the guidance's deadline)."""
        return _on_time_share([r for r in self.requests if r.guidance_deadline])


def _on_time_share(requests: list[RequestTimeliness]) -> float | None:
    on_time = sum(1 for r in requests if r.timeliness is Timeliness.ANSWERED_ON_TIME)
    late = sum(1 for r in requests if r.timeliness is Timeliness.ANSWERED_LATE)
    return on_time / (on_time + late) if on_time + late else None


_requests, _clarifications = table_of(PartnerRequestRow), table_of(ClarificationRow)
_RECEIVED_BETWEEN = select(
    _requests.c.id,
    _requests.c.case_id,
    _requests.c.organisation,
    _requests.c.recipient_type,
    _requests.c.purpose,
    _requests.c.received_on,
    _requests.c.due_on,
    _requests.c.status,
    _requests.c.answered_on,
).order_by(_requests.c.received_on, _requests.c.id)
_CLARIFICATIONS_OF_RECEIVED = select(
    _clarifications.c.request_id, _clarifications.c.sent_on, _clarifications.c.resolved_on
).join(_requests, _requests.c.id == _clarifications.c.request_id)


def timeliness_report(
    *,
    uow: UnitOfWork,
    actor: str,
    start: date,
    end: date,
    today: date,
    calendar: WorkingDayCalendar,
    exported: bool = False,
) -> TimelinessReport:
    """Requests received from ``start`` to ``end`` (both included), each judged as it stands ``today``.
    ``exported`` when the report leaves as a file, so the audit trail tells a download from a look."""
    if end < start:
        raise InvalidFieldError("to", "must not be before the start of the period")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidFieldError("to", f"a report covers at most {MAX_DAYS} days")
    received = (_requests.c.received_on >= start, _requests.c.received_on <= end)
    asked: dict[int, list[tuple[date, date | None]]] = {}
    for c in uow.session.execute(_CLARIFICATIONS_OF_RECEIVED.where(*received)):
        asked.setdefault(c.request_id, []).append((c.sent_on, c.resolved_on))
    requests = [
        _timeliness(row, asked.get(row.id, []), calendar=calendar, today=today)
        for row in uow.session.execute(_RECEIVED_BETWEEN.where(*received))
    ]
    uow.audit.record(
        actor=actor,
        event="oversight:requests:export" if exported else "oversight:requests:report",
        entity=f"received:{start.isoformat()}..{end.isoformat()}",
    )
    uow.commit()
    return TimelinessReport(start=start, end=end, today=today, requests=requests)


def _timeliness(
    row: Row[*tuple[Any, ...]],
    asked: list[tuple[date, date | None]],
    *,
    calendar: WorkingDayCalendar,
    today: date,
) -> RequestTimeliness:
    """One request judged from its row and its clarifications, (asked on, answered on) pairs: the
    clock's start and any deadline missed before clarifying both come from those, by the request
    clock's own rules."""
    missed = deadline_missed_before_clarifying(calendar, row.received_on, asked)
    return RequestTimeliness(
        request_id=row.id,
        case_id=row.case_id,
        organisation=row.organisation,
        recipient_type=row.recipient_type,
        purpose=row.purpose,
        received_on=row.received_on,
        due_on=row.due_on,
        answered_on=row.answered_on,
        clarifications=len(asked),
        working_days_taken=(
            _working_days_taken(
                calendar, clock_started(row.received_on, (answered for _, answered in asked)), row.answered_on
            )
            if row.answered_on
            else None
        ),
        missed_due_on=missed,
        timeliness=_judged(row.status, row.due_on, row.answered_on, today, missed=missed),
    )


def _working_days_taken(calendar: WorkingDayCalendar, started: date, answered: date) -> int:
    """Working days from the clock's start to the answer. An answer sent on a weekend or a bank
    holiday counts as the next working day, as the due date is judged: answered on Friday 1 January
    2027 after a due date of 31 December is late, and shows 6 days, not the 5 that would look on time."""
    taken = calendar.working_days_between(started, answered)
    return taken + 1 if answered > started and not calendar.is_working_day(answered) else taken


def _judged(
    status: str, due_on: date, answered_on: date | None, today: date, *, missed: date | None
) -> Timeliness:
    if missed is not None:  # asked for clarification only after the due date: late, whatever followed
        return Timeliness.ANSWERED_LATE if answered_on is not None else Timeliness.OPEN_OVERDUE
    if answered_on is not None:
        return Timeliness.ANSWERED_ON_TIME if answered_on <= due_on else Timeliness.ANSWERED_LATE
    if status == "awaiting_clarification":
        return Timeliness.AWAITING_CLARIFICATION
    return Timeliness.OPEN_OVERDUE if is_overdue(due_on, today) else Timeliness.OPEN_IN_TIME


CSV_HEADER = (
    "request_id",
    "case_id",
    "organisation",
    "recipient_type",
    "purpose",
    "received_on",
    "clarifications",
    "due_on",
    "answered_on",
    "working_days_on_the_clock",
    "timeliness",
    "guidance_deadline",
    "due_date_missed_before_clarification",
)


def report_csv(report: TimelinessReport) -> str:
    """The report as CSV, one row per request: for the board pack or an auditor's own checks (the web
    download and ``prevent-ig report requests --csv`` write the same file)."""
    return csv_text(
        CSV_HEADER,
        (
            (
                r.request_id,
                r.case_id,
                r.organisation,
                r.recipient_type,
                r.purpose,
                r.received_on,
                r.clarifications,
                r.due_on,
                r.answered_on,
                r.working_days_taken,
                r.timeliness.value,
                r.guidance_deadline,
                r.missed_due_on,
            )
            for r in report.requests
        ),
    )
