"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every writing transaction starts with
``BEGIN IMMEDIATE`` so that it takes the write lock at once (read-only ones begin ``DEFERRED``): two
processes can then never interleave audit appends, and a writer waits instead of failing half-way,
queueing first at the ``SqliteWriterGate`` below. On PostgreSQL the audit log takes an advisory lock
instead (see ``audit_log``).
"""

import fcntl
import functools
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

from prevent_ig.adapters.records.text_limits import refuse_text_too_long

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a call waits for a lock (SQLite's write lock and writer gate, PostgreSQL's
``lock_timeout``), for a pooled PostgreSQL connection, or to open one."""
POOL_SIZE = 10
"""PostgreSQL connections per process per pool (one pool for writes, one for reads)."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle for longer than this is checked before it is handed out."""


def make_engine(
    url: str,
    *,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    pool_size: int = POOL_SIZE,
) -> Engine:
    """The engine for writes (and, on SQLite, for reads too).

    On PostgreSQL the pool is fixed at ``pool_size`` with no overflow: a burst of requests then
    queues for a connection in the process (for up to ``busy_timeout``) instead of opening more, so
    the connections all the processes may open can be counted against the server's
    ``max_connections``. Past that limit the server refuses new ones, and every request meeting the
    refusal would fail (seen under bench/load.py with four processes).

    Waits for a lock end after ``busy_timeout`` too: SQLite's busy timeout, and PostgreSQL's
    ``lock_timeout`` (unlimited by default), so a transaction left holding the audit chain's lock
    cannot hold every writer of every process for ever; they fail, retryably, instead."""
    if not is_sqlite(url):
        return _postgres_engine(
            url, ping_after_idle=ping_after_idle, busy_timeout=busy_timeout, pool_size=pool_size
        )
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout}, hide_parameters=True)
    event.listen(
        engine,
        "connect",
        functools.partial(_sqlite_on_connect, busy_timeout_ms=_milliseconds(busy_timeout)),
    )
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


READ_ONLY_SERVER_OPTION = "-c default_transaction_read_only=on"


def _milliseconds(seconds: float) -> int:
    """A timeout for the database in whole milliseconds; never 0, which both read as "no limit"."""
    return max(1, round(seconds * 1000))


def _postgres_engine(
    url: str,
    *,
    ping_after_idle: float,
    busy_timeout: float,
    pool_size: int,
    read_only: bool = False,
) -> Engine:
    """A PostgreSQL engine of either pool: ``pool_size`` connections and no overflow, pinged when
    idle, and every wait bounded by ``busy_timeout``: for a free connection (``pool_timeout``), for a
    lock (``lock_timeout``, unlimited by default), and to connect (``connect_timeout``, else the
    system's TCP timeout of minutes when a host drops packets). Options already given, in the URL's
    ``options`` or in ``PGOPTIONS``, are kept: an explicit ``options`` argument would replace both.
    Statements' parameters are kept out of error messages: they can be personal data."""
    given = [make_url(url).query.get("options"), os.environ.get("PGOPTIONS")]
    ours = [f"-c lock_timeout={_milliseconds(busy_timeout)}"] + (
        [READ_ONLY_SERVER_OPTION] if read_only else []
    )
    options = " ".join(part for part in [*given, *ours] if isinstance(part, str) and part)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=busy_timeout,
        hide_parameters=True,
        # libpq counts connect_timeout in whole seconds and treats anything under 2 as 2.
        connect_args={"options": options, "connect_timeout": max(2, math.ceil(busy_timeout))},
        **({"isolation_level": "AUTOCOMMIT"} if read_only else {}),
    )
    ping_when_idle(engine, after=ping_after_idle)
    return engine


def make_read_engine(
    url: str,
    engine: Engine,
    *,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    pool_size: int = POOL_SIZE,
) -> Engine:
    """The engine that reading units of work and the API's token check use.

    SQLite: ``engine`` itself (a read begins ``DEFERRED`` and takes no lock). PostgreSQL: a pool of its
    own whose connections are in autocommit and which the server holds read-only. Each read then costs
    one round trip, with no ``BEGIN`` and ``ROLLBACK`` around it. That changes nothing about what the
    read sees: under READ COMMITTED (the default, and ours) every statement takes its own snapshot,
    inside a transaction or not. A write that strays into a reading unit of work is refused by the
    server rather than committed (tested).
    """
    if is_sqlite(url):
        return engine
    return _postgres_engine(
        url, ping_after_idle=ping_after_idle, busy_timeout=busy_timeout, pool_size=pool_size, read_only=True
    )


_RETURNED_AT = "prevent_ig_returned_at"


def ping_when_idle(engine: Engine, *, after: float) -> None:
    """Check a pooled connection with a ping only when it has been idle for more than ``after``
    seconds; a dead one is replaced before anyone uses it.

    Why not SQLAlchemy's ``pool_pre_ping``: it pings at every checkout, which is a round trip on every
    transaction, three of the eleven an audited API call makes (measured with strace). The connections
    that die are the idle ones: after a server restart or failover (which takes longer than a second),
    or when a firewall or the server drops a long-idle session. Under load a connection goes back out
    within milliseconds, and is not pinged. The price: should the server drop connections less than
    ``after`` seconds after their last use, a call may still meet a dead one; it fails with a database
    error, SQLAlchemy recycles the pool's connections, and the calls after it reconnect (tested).
    """

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at <= after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # Any error counts as dead, not only those the dialect calls a disconnect: a connection
            # that cannot answer SELECT 1 is no use. The pool then hands out a fresh one instead, and
            # recycles every connection older than this moment when they next go out, unpinged: after
            # a restart or failover they are all dead, and each would otherwise fail its own ping.
            raise InvalidatePoolError(f"a pooled connection idle for over {after} s is dead") from error

    event.listen(engine, "connect", returned)  # a new connection has just proved itself
    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any, *, busy_timeout_ms: int) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    # WAL with NORMAL sync: a committed transaction survives the process being killed (tested with
    # SIGKILL); only a power cut may lose the last commits. Production deployments use PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "prevent_ig_read_only"
"""Execution option for a transaction that only reads: it begins DEFERRED and takes no write lock."""


def _sqlite_on_begin(connection: Any) -> None:
    deferred = connection.get_execution_options().get(READ_ONLY, False)
    # Through SQLAlchemy, not straight to sqlite3 (tried: 10 µs less per transaction): a BEGIN that
    # fails (the file locked past the busy timeout) must raise SQLAlchemy's OperationalError, which
    # callers such as the mail worker catch to wait out an outage.
    connection.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    refuse_text_too_long(factory)
    return factory


class DatabaseBusyError(RuntimeError):
    """Another writer held the database for longer than the busy timeout."""


class SqliteWriterGate:
    """Lets one writer at a time begin a transaction on a SQLite file, and hands over at once.

    SQLite itself allows one writer; a second ``BEGIN IMMEDIATE`` waits in SQLite's busy handler, which
    polls with sleeps of up to 100 ms, so under load writers would mostly be asleep while the lock is
    free. Here threads queue on a lock (woken the moment it is released) and processes on an exclusive
    ``flock`` of a file beside the database, polled every millisecond at most. Both waits end with
    ``DatabaseBusyError`` after the busy timeout, as SQLite's own would, so a writer stuck in another
    process cannot hang this one. Re-entrant within a thread, so a nested unit of work fails in SQLite's
    own way (busy timeout) rather than hanging.
    """

    def __init__(self, lock_path: Path, *, timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self._lock_path = lock_path
        self._timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._descriptor: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        deadline = time.monotonic() + self._timeout
        if not self._thread_lock.acquire(timeout=self._timeout):
            raise DatabaseBusyError(f"another writer in this process held {self._lock_path} too long")
        try:
            if self._depth == 0:
                self._descriptor = self._lock_file(deadline)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._descriptor is not None:
                    os.close(self._descriptor)  # closing releases the flock
                    self._descriptor = None
        finally:
            self._thread_lock.release()

    def _lock_file(self, deadline: float) -> int:
        descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        pause = 0.00005
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return descriptor
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(descriptor)
                    raise DatabaseBusyError(f"another process held {self._lock_path} too long") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.001)


_gates: dict[tuple[str, float], SqliteWriterGate] = {}
_gates_lock = threading.Lock()


def writer_gate(
    url: str, *, timeout: float = BUSY_TIMEOUT_SECONDS
) -> Callable[[], AbstractContextManager[object]]:
    """The gate every writing unit of work passes on this database (one per file and timeout per
    process: in practice one, since a process reads its settings once)."""
    if not is_sqlite(url):
        return nullcontext  # PostgreSQL: row locks and the audit advisory lock order the writers
    database = make_url(url).database
    if not database or database == ":memory:":
        return nullcontext
    path = str(Path(database).resolve())
    with _gates_lock:
        return _gates.setdefault(
            (path, timeout), SqliteWriterGate(Path(path + ".writer-lock"), timeout=timeout)
        )
