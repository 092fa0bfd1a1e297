"""England working-day arithmetic.

Bank holidays come from the ``holidays`` package (``subdiv="ENG"``: without it Easter Monday and the
summer bank holiday are missing). A one-off bank holiday announced after the installed release, or a
cancelled one, is handled by the override table in configuration, so a deadline never waits for a
package upgrade.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

SATURDAY = 5


@lru_cache(maxsize=512)
def _england_bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


class WorkingDayCalendar:
    """England bank holidays, plus added and minus removed dates from configuration."""

    def __init__(self, *, added: Iterable[date] = (), removed: Iterable[date] = ()) -> None:
        self._added = frozenset(added)
        self._removed = frozenset(removed)

    def is_bank_holiday(self, day: date) -> bool:
        if day in self._added:
            return True
        if day in self._removed:
            return False
        return day in _england_bank_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < SATURDAY and not self.is_bank_holiday(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start``; ``start`` itself is day 0.

        Received Tuesday 22 December 2026, five working days on is Thursday 31 December 2026
        (25 and 28 December are bank holidays).
        """
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
