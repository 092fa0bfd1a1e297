"""Database fixtures: every records test runs on SQLite, and on PostgreSQL too when
PREVENT_IG_TEST_DATABASE_URL is set (CI always sets it).

Each test gets a fresh, migrated database: on SQLite a copy of a migrated file, on PostgreSQL a new
database cloned from a migrated template, so tests never see each other's rows.
"""

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.audit_log import ADVISORY_LOCK_KEY
from prevent_ig.adapters.records.database import (
    BUSY_TIMEOUT_SECONDS,
    make_engine,
    make_read_engine,
    make_session_factory,
    writer_gate,
)
from prevent_ig.adapters.records.read_audit import ReadAuditAppender
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.bootstrap import Records
from prevent_ig.domain.calendar.england_date import ENGLAND, date_in_england
from prevent_ig.domain.config import EngineConfig

PG_URL = os.environ.get("PREVENT_IG_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
AUDIT_KEY = b"test-audit-key-0123456789abcdef-0123456789"


CLOCK_STARTS = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TODAY = date_in_england(CLOCK_STARTS)
"""The day in England by the test clock: what the app under test dates its records by. The clock moves
a microsecond a reading, so a test never leaves this day."""


class Clock:
    """A controllable clock: each reading is a microsecond later, so audit times are distinct."""

    def __init__(self) -> None:
        self.moment = CLOCK_STARTS

    def __call__(self) -> datetime:
        self.moment += timedelta(microseconds=1)
        return self.moment

    def move_to(self, day: date) -> None:
        """On to 09:00 in England on ``day``: the use cases refuse steps dated after the clock's day, so
        a test of a case's later life (a review, a request answered next month) lives through it."""
        moment = datetime.combine(day, time(9), tzinfo=ENGLAND).astimezone(UTC)
        if moment <= self.moment:
            raise ValueError(f"the test clock only moves forward, and {day} is not ahead of it")
        self.moment = moment


@dataclass
class Db:
    url: str
    backend: str
    clock: Clock
    config: EngineConfig
    busy_timeout: float = BUSY_TIMEOUT_SECONDS
    """How long a call waits for the write lock or a pooled connection (the app's setting)."""

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url, busy_timeout=self.busy_timeout)
        self.read_engine = make_read_engine(self.url, self.engine, busy_timeout=self.busy_timeout)
        self.factory = make_session_factory(self.engine)
        self.read_factory = make_session_factory(self.read_engine)
        self.gate = writer_gate(self.url, timeout=self.busy_timeout)
        self.read_audit = ReadAuditAppender(
            self.factory, audit_key=AUDIT_KEY, now=self.clock, writer_gate=self.gate
        )

    def uow(self) -> UnitOfWork:
        """As the app builds it (bootstrap.build_records): writer gate and shared read audit included."""
        return UnitOfWork(
            self.factory,
            audit_key=AUDIT_KEY,
            now=self.clock,
            writer_gate=self.gate,
            read_audit=self.read_audit,
            read_session_factory=self.read_factory,
        )

    def records(self) -> Records:
        """What the web app and the API are built on, over this database and this clock."""
        return Records(
            engine=self.engine,
            engine_config=self.config,
            new_unit_of_work=self.uow,
            url=self.url,
            now=self.clock,
            read_engine=self.read_engine,
        )

    def cli_env(self, data_dir: Path) -> dict[str, str | None]:
        """The environment for a `prevent-ig` command on this database, with this audit key and the
        built-in engine configuration (``None`` unsets a variable the shell may have set)."""
        return {
            "PREVENT_IG_DATABASE_URL": self.url,
            "PREVENT_IG_DATA_DIR": str(data_dir),
            "PREVENT_IG_AUDIT_KEY": AUDIT_KEY.decode(),
            "PREVENT_IG_ENGINE_CONFIG": None,
        }

    def impatient(self, busy_timeout: float) -> "Db":
        """The same database, reached by pools that give up after ``busy_timeout`` seconds (dispose
        of it with ``close()``)."""
        return replace(self, busy_timeout=busy_timeout)

    def close(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()

    @contextmanager
    def write_lock_held(self) -> Iterator[None]:
        """Another program holding the write lock until the block ends: a sqlite3 shell in the middle
        of a transaction, or a PostgreSQL session left holding the audit chain's lock."""
        if self.backend == "sqlite":
            holder = sqlite3.connect(str(make_url(self.url).database), isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                holder.close()
            return
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
                yield
        finally:
            engine.dispose()

    def admin_execute(self, *statements: str) -> None:
        """Raw SQL as the database owner would run it (used to simulate tampering)."""
        with self.engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _pg_admin() -> Callable[[str], None]:
    assert PG_URL
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with engine.connect() as connection:
            connection.execute(text(statement))

    return run


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    admin = _pg_admin()
    name = f"prevent_ig_template_{uuid.uuid4().hex[:8]}"
    admin(f"CREATE DATABASE {name}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def fresh_database_url(
    backend: str, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> Iterator[str]:
    if backend == "sqlite":
        target = tmp_path / "records.sqlite3"
        shutil.copy(sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    assert PG_URL and pg_template
    admin = _pg_admin()
    name = f"prevent_ig_test_{uuid.uuid4().hex[:10]}"
    admin(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> Iterator[Db]:
    urls = fresh_database_url(request.param, tmp_path, sqlite_template, pg_template)
    database = Db(url=next(urls), backend=request.param, clock=Clock(), config=EngineConfig())
    yield database
    database.close()
    next(urls, None)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An unmigrated database, for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin = _pg_admin()
    name = f"prevent_ig_empty_{uuid.uuid4().hex[:10]}"
    admin(f"CREATE DATABASE {name}")
    assert PG_URL
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
