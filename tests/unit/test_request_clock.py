"""The request clock: one rule for when a partner request's 5 working days start and end.

Every place that shows or judges a request's deadline reads these two functions, so these cases pin
the rule once; the records tests check the places agree on real requests.
"""

from datetime import date

import pytest

from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.pathway.request_clock import (
    clock_started,
    deadline_missed_before_clarifying,
    is_overdue,
    respond_by,
)

RECEIVED = date(2026, 11, 2)


@pytest.mark.parametrize(
    ("answers", "started"),
    [
        ([], RECEIVED),
        ([None], RECEIVED),  # asked for, not yet answered: the clock stopped, it did not restart
        ([date(2026, 11, 5)], date(2026, 11, 5)),
        ([date(2026, 11, 9), date(2026, 11, 5)], date(2026, 11, 9)),  # the latest answer, in any order
        ([date(2026, 11, 5), None], date(2026, 11, 5)),
    ],
)
def test_the_clock_starts_at_arrival_or_the_latest_answer_to_a_clarification(
    answers: list[date | None], started: date
) -> None:
    assert clock_started(RECEIVED, answers) == started


def test_the_clock_takes_any_iterable_once() -> None:
    assert clock_started(RECEIVED, iter([date(2026, 11, 6)])) == date(2026, 11, 6)


@pytest.mark.parametrize(
    ("started", "due"),
    [
        (date(2026, 11, 2), date(2026, 11, 9)),  # Monday: the next Monday
        (date(2026, 11, 6), date(2026, 11, 13)),  # Friday: the next Friday
        (date(2026, 11, 7), date(2026, 11, 13)),  # Saturday counts as day 0, like any arrival day
        (date(2026, 12, 22), date(2026, 12, 31)),  # decision rules' example: Christmas and Boxing Day off
    ],
)
def test_a_request_is_due_five_working_days_after_its_clock_started(started: date, due: date) -> None:
    assert respond_by(WorkingDayCalendar(), started) == due


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        (date(2026, 11, 26), False),  # the day before
        (date(2026, 11, 27), False),  # the due day itself
        (date(2026, 11, 28), True),  # the Saturday after: no working day gone by, but an answer is late
        (date(2026, 11, 30), True),
    ],
)
def test_a_request_is_overdue_from_the_day_after_its_due_date(today: date, overdue: bool) -> None:
    assert is_overdue(date(2026, 11, 27), today) is overdue


CALENDAR = WorkingDayCalendar()
MONDAY = date(2026, 11, 2)  # due Monday 9 November


@pytest.mark.parametrize(
    ("clarifications", "missed"),
    [
        ([], None),
        ([(date(2026, 11, 9), None)], None),  # asked on the due day: in time, and the clock stopped
        ([(date(2026, 11, 10), None)], date(2026, 11, 9)),
        ([(date(2026, 11, 5), date(2026, 11, 6)), (date(2026, 11, 13), None)], None),  # 2nd clock: due 13th
        ([(date(2026, 11, 5), date(2026, 11, 6)), (date(2026, 11, 16), None)], date(2026, 11, 13)),
        (
            [(date(2026, 11, 16), date(2026, 11, 17)), (date(2026, 11, 5), date(2026, 11, 6))],
            date(2026, 11, 13),
        ),
        # two asked while the clock was stopped, both answered together: neither was late
        ([(date(2026, 11, 5), date(2026, 11, 20)), (date(2026, 11, 12), date(2026, 11, 20))], None),
        # two asked the same day, one answered and one still open: the clock is stopped, nothing late
        ([(date(2026, 11, 5), date(2026, 11, 6)), (date(2026, 11, 5), None)], None),
        ([(date(2026, 11, 5), None), (date(2026, 11, 5), date(2026, 11, 6))], None),
    ],
)
def test_a_clarification_asked_after_the_due_date_in_force_is_found(
    clarifications: list[tuple[date, date | None]], missed: date | None
) -> None:
    assert deadline_missed_before_clarifying(CALENDAR, MONDAY, clarifications) == missed
