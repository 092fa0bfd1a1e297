"""The date in England, across midnight and both clock changes.

The changes are typed in from the rule in force (summer time from 01:00 GMT on the last Sunday of
March to 01:00 GMT on the last Sunday of October: 29 March and 25 October in 2026), not derived
from the zone database under test.
"""

from datetime import UTC, date, datetime, timedelta, tzinfo

import pytest

from prevent_ig.domain.calendar.england_date import date_in_england


@pytest.mark.parametrize(
    ("utc", "in_england"),
    [
        ("2026-06-30T23:30", date(2026, 7, 1)),  # 00:30 summer time: already the next day
        ("2026-06-30T22:59", date(2026, 6, 30)),  # 23:59 summer time
        ("2026-12-31T23:30", date(2026, 12, 31)),  # winter: England keeps UTC
        ("2027-01-01T00:00", date(2027, 1, 1)),
        ("2026-03-28T23:30", date(2026, 3, 28)),  # the night before summer time begins
        ("2026-03-29T23:30", date(2026, 3, 30)),  # its first night
        ("2026-10-24T23:30", date(2026, 10, 25)),  # the last night of summer time
        ("2026-10-25T23:30", date(2026, 10, 25)),  # back on GMT
    ],
)
def test_the_day_is_the_day_on_the_clock_in_england(utc: str, in_england: date) -> None:
    assert date_in_england(datetime.fromisoformat(utc).replace(tzinfo=UTC)) == in_england


def test_a_moment_without_a_time_zone_is_refused_rather_than_read_as_the_servers() -> None:
    with pytest.raises(ValueError, match=r"^a moment without a time zone cannot be placed in England$"):
        date_in_england(datetime(2026, 6, 30, 23, 30))


class _ZoneWithoutOffset(tzinfo):
    """A zone that knows no offset: Python treats a time in it as naive, like one with no zone."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_a_moment_whose_zone_gives_no_offset_is_refused_too() -> None:
    # Carrying a zone is not enough: one with no offset would be read in the server's zone as well.
    with pytest.raises(ValueError, match="time zone"):
        date_in_england(datetime(2026, 6, 30, 23, 30, tzinfo=_ZoneWithoutOffset()))
