"""What the worker's own tests share: the worker's clock, moved by the test beside the records' clock
(the db fixture's), and the retry policy and renderer they queue and deliver with."""

from datetime import UTC, date, datetime, time, timedelta

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.domain.calendar.england_date import ENGLAND
from prevent_ig.services.delivery import RetryPolicy
from tests.fixtures_db import Db

RENDERER = PdfRenderer()
POLICY = RetryPolicy(
    lease=timedelta(minutes=5), base=timedelta(seconds=30), cap=timedelta(minutes=10), max_attempts=4
)


class Clock:
    """The worker's clock, moved by the test (the records' own clock is the db fixture's)."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment


def move_both_clocks(db: Db, clock: Clock, day: date) -> None:
    """The records and the worker both on ``day``, the worker at 10:00 in England."""
    db.clock.move_to(day)
    clock.moment = datetime.combine(day, time(10), tzinfo=ENGLAND).astimezone(UTC)
