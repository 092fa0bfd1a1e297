"""One outbox worker per embedded SQLite database.

On PostgreSQL any number of workers share the outbox (claims skip each other's locked rows). SQLite
has no row locks: its write lock already keeps two workers from claiming the same message, but every
claim would queue behind the other worker's writes and the app's, so the embedded set-up runs one
worker, and this lock (a file beside the database) makes a second one refuse to start.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url


class WorkerLockError(RuntimeError):
    """Another worker holds the lock; the message says where."""


def lock_path(database_url: str) -> Path | None:
    """The lock file for an SQLite file database; None where no lock is needed."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(f"{url.database}.mail-worker.lock")


@contextmanager
def single_worker(database_url: str) -> Iterator[None]:
    path = lock_path(database_url)
    if path is None:
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkerLockError(
                f"another mail worker is running on this SQLite database ({path} is locked); "
                "run one worker, or use PostgreSQL for several"
            ) from None
        yield  # the lock goes with the process, so a killed worker never leaves it held
    finally:
        os.close(descriptor)
