"""Working days against the published England and Wales bank holidays, 2024 to 2028.

The table is typed in from the published lists (GOV.UK's bank holidays page for 2024-2027, and the
statutory rules for 2028), not derived from the ``holidays`` package, so a wrong package release fails
here.
"""

from datetime import date, timedelta

import pytest

from prevent_ig.domain.calendar.working_days import WorkingDayCalendar

PUBLISHED_ENGLAND_BANK_HOLIDAYS = {
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2028: ["01-03", "04-14", "04-17", "05-01", "05-29", "08-28", "12-25", "12-26"],
}
PUBLISHED = {
    date.fromisoformat(f"{year}-{day}")
    for year, days in PUBLISHED_ENGLAND_BANK_HOLIDAYS.items()
    for day in days
}

calendar = WorkingDayCalendar()


@pytest.mark.parametrize("year", sorted(PUBLISHED_ENGLAND_BANK_HOLIDAYS))
def test_every_weekday_bank_holiday_matches_the_published_list(year: int) -> None:
    day, found = date(year, 1, 1), set()
    while day.year == year:
        if day.weekday() < 5 and not calendar.is_working_day(day):
            found.add(day)
        day += timedelta(days=1)
    assert found == {d for d in PUBLISHED if d.year == year}


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        ("2026-12-22", "2026-12-31", "Christmas Day and the Boxing Day substitute (Mon 28 Dec)"),
        ("2027-12-22", "2027-12-31", "substitutes for Christmas and Boxing Day on Mon 27 and Tue 28 Dec"),
        ("2024-12-20", "2024-12-31", "Christmas and Boxing Day on Wed and Thu"),
        ("2028-12-21", "2029-01-02", "Christmas and Boxing Day on Mon and Tue, New Year on Mon 1 Jan 2029"),
        ("2025-04-16", "2025-04-25", "Good Friday 18 April and Easter Monday 21 April"),
        ("2027-03-24", "2027-04-02", "Good Friday 26 March and Easter Monday 29 March"),
        ("2024-03-28", "2024-04-08", "received the day before Good Friday 2024"),
        ("2028-04-13", "2028-04-24", "received the day before Good Friday 2028"),
        ("2026-08-28", "2026-09-07", "received Friday before the late summer bank holiday"),
        ("2026-11-26", "2026-12-03", "an ordinary week"),
        ("2026-11-28", "2026-12-04", "received on a Saturday: Monday is day 1"),
        ("2028-01-01", "2028-01-10", "received on New Year's Day, a Saturday with Monday substitute"),
    ],
)
def test_five_working_days_from_receipt(received: str, due: str, why: str) -> None:
    assert calendar.add_working_days(date.fromisoformat(received), 5) == date.fromisoformat(due), why


def test_day_received_is_day_zero() -> None:
    assert calendar.add_working_days(date(2026, 12, 22), 0) == date(2026, 12, 22)
    assert calendar.add_working_days(date(2026, 12, 22), 1) == date(2026, 12, 23)
    assert calendar.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 24)
    assert calendar.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_override_adds_a_one_off_bank_holiday() -> None:
    jubilee_like = date(2027, 6, 7)  # a Monday, invented for the test
    with_override = WorkingDayCalendar(added=[jubilee_like])
    assert calendar.add_working_days(date(2027, 6, 4), 1) == jubilee_like
    assert with_override.add_working_days(date(2027, 6, 4), 1) == date(2027, 6, 8)


def test_override_removes_a_cancelled_bank_holiday() -> None:
    moved = WorkingDayCalendar(removed=[date(2026, 5, 4)])
    assert calendar.add_working_days(date(2026, 5, 1), 1) == date(2026, 5, 5)
    assert moved.add_working_days(date(2026, 5, 1), 1) == date(2026, 5, 4)


def test_working_days_between_is_the_inverse_of_adding() -> None:
    start = date(2026, 12, 22)
    for days in range(0, 30):
        end = calendar.add_working_days(start, days)
        assert calendar.working_days_between(start, end) == days
        assert calendar.working_days_between(end, start) == -days


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^days must not be negative$"):
        calendar.add_working_days(date(2026, 1, 5), -1)
