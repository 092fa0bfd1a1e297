"""The request clock: one rule for when a partner request's 5 working days start and end.

Every place that shows or judges a request's deadline reads these two functions, so these cases pin
the rule once; the records tests check the places agree on real requests.
"""

from datetime import date

import pytest

from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.pathway.request_clock import clock_started, respond_by

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
