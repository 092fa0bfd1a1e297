"""The 5-working-day clock on a request for information: when it starts and when it runs out.

Diagram 1 of the guidance gives multi-agency information gathering 5 working days from the request;
the product holds every partner's request to the same clock, and a clarification (§5, "being
specific") starts it again from the requestor's answer. The request pages, the due list, the
assessment's "respond by" date and the oversight report all read the clock here, so a request cannot
be due on one day in one place and on another day elsewhere.
https://www.england.nhs.uk/long-read/prevent-and-the-channel-process-in-the-nhs-information-sharing-and-governance/
"""

from collections.abc import Iterable
from datetime import date

from prevent_ig.domain.calendar.working_days import WorkingDayCalendar

RESPONSE_WORKING_DAYS = 5
"""Diagram 1: from the request to the pre-panel, counted as decision rules step 8 counts them."""


def clock_started(received_on: date, clarifications_answered_on: Iterable[date | None]) -> date:
    """The day the clock last started: the request's arrival, or the latest answer to a clarification.
    Clarifications still unanswered (``None``) have stopped the clock, not started it."""
    return max([received_on, *(on for on in clarifications_answered_on if on is not None)])


def respond_by(calendar: WorkingDayCalendar, started: date) -> date:
    """The last day to answer a request whose clock started on ``started`` (that day is day 0)."""
    return calendar.add_working_days(started, RESPONSE_WORKING_DAYS)


def is_overdue(due_on: date, today: date) -> bool:
    """Whether the due date has passed. Counted in days, not working days: on the Saturday after a
    Friday due date no working day has gone by, yet an answer sent that day is late."""
    return due_on < today


def deadline_missed_before_clarifying(
    calendar: WorkingDayCalendar, received_on: date, clarifications: Iterable[tuple[date, date | None]]
) -> date | None:
    """The due date that had already passed when a clarification was asked for, if one had.

    Asking the requestor what is missing is itself a response (decision rules step 8: respond, or say
    what is missing, by the due date), and their answer starts the clock again. Asked after the due
    date, it came late, and the restarted clock must not hide that: the request stays late whenever
    it is answered. ``clarifications`` are (asked on, answered on or ``None``) pairs, in any order."""
    started = received_on
    for asked_on, answered_on in sorted(clarifications, key=lambda c: c[0]):
        due = respond_by(calendar, started)
        if asked_on > due:
            return due
        if answered_on is None:
            return None
        started = max(started, answered_on)
    return None
