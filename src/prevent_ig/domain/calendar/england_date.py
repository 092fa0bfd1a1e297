"""The date in England at a given moment.

Deadlines are counted in England's working days, and "today" for a Prevent lead is the date on the
clock in England, not the server's: a request that arrives at half past midnight in summer (23:30
UTC) arrived on the new day, and a server kept on UTC (as most are) would date it the day before and
give the lead one working day less than they have. The zone database comes from the ``tzdata``
package where the system has none.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")
EARLIEST_YEAR = 1900
"""No date this service records (a birth, a request arriving, an agreement) falls before it: an earlier
year is a typing slip, such as "26" for 2026."""
LATEST_YEAR = 2099
"""Nor after this one: a later year is a slip or a placeholder for "no date" (9999-12-31), and a
deadline counted on from it could run past the last date the calendar holds."""


def year_problem(day: date) -> str | None:
    """Why ``day`` cannot be a date this service records, or ``None`` when it can."""
    if EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return None
    return f"must be in the years {EARLIEST_YEAR} to {LATEST_YEAR}"


def date_in_england(moment: datetime) -> date:
    """The calendar date in England at ``moment``, which must carry its time zone (a naive time
    could be read in the server's zone, the very mistake this exists to avoid)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment without a time zone cannot be placed in England")
    return moment.astimezone(ENGLAND).date()
