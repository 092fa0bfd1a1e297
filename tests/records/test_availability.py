"""Which database errors mean "cannot take the call just now" (the API's 503, the CLI's exit 75) and
which are faults (a 500): each error here is raised by a real database, never built by hand."""

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from prevent_ig.adapters.records.availability import described, is_database_unavailable
from prevent_ig.adapters.records.database import (
    DatabaseBusyError,
    SqliteWriterGate,
    make_engine,
    make_read_engine,
)
from tests.fixtures_db import PG_URL, Db
from tests.ports import free_port
from tests.records.helpers import gate_held_by_another_thread

needs_postgres = pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL")


def error_of(action: Callable[[], object]) -> BaseException:
    """What ``action`` raised; the test fails if it raised nothing."""
    try:
        action()
    except Exception as error:  # the point is to see what was raised
        return error
    pytest.fail("expected an error, none was raised")


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def run(engine: Engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement))


# SQLite


def test_a_write_lock_held_past_the_busy_timeout_is_unavailable(
    tmp_path: Path, engines: list[Engine]
) -> None:
    path = tmp_path / "locked.sqlite3"
    engine = make_engine(f"sqlite:///{path}", busy_timeout=0.1)
    engines.append(engine)
    run(engine, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder = sqlite3.connect(path, isolation_level=None)  # another program holding the write lock
    holder.execute("BEGIN IMMEDIATE")
    try:
        error = error_of(lambda: run(engine, "INSERT INTO t VALUES (1)"))
    finally:
        holder.close()
    assert isinstance(error, OperationalError)
    assert is_database_unavailable(error)
    assert described(error) == "OperationalError (SQLite code 5)"  # SQLITE_BUSY, and no message


def test_the_writer_gate_held_past_its_timeout_is_unavailable(tmp_path: Path) -> None:
    gate = SqliteWriterGate(tmp_path / "db.writer-lock", timeout=0.05)

    def enter() -> None:
        with gate():
            pass

    with gate_held_by_another_thread(gate):
        error = error_of(enter)
    assert isinstance(error, DatabaseBusyError)
    assert is_database_unavailable(error)


def test_a_missing_table_is_a_fault_not_unavailability(tmp_path: Path, engines: list[Engine]) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    engines.append(engine)
    error = error_of(lambda: run(engine, "SELECT * FROM no_such_table"))
    assert isinstance(error, OperationalError)  # the same class as a busy database...
    assert not is_database_unavailable(error)  # ...but trying again would not mend it


def test_a_broken_constraint_is_a_fault_on_either_database(db: Db) -> None:
    run(db.engine, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
    run(db.engine, "INSERT INTO t VALUES (1)")
    error = error_of(lambda: run(db.engine, "INSERT INTO t VALUES (1)"))
    assert isinstance(error, IntegrityError)
    assert not is_database_unavailable(error)


def test_errors_that_are_not_the_databases_are_not_unavailability() -> None:
    assert not is_database_unavailable(ValueError("x"))
    assert not is_database_unavailable(TimeoutError())  # Python's own, not the pool's


# PostgreSQL


@needs_postgres
def test_a_server_that_is_down_is_unavailable(engines: list[Engine]) -> None:
    assert PG_URL is not None
    down = make_url(PG_URL).set(host="127.0.0.1", port=free_port()).render_as_string(hide_password=False)
    engine = make_engine(down)
    engines.append(engine)
    error = error_of(engine.connect)
    assert isinstance(error, OperationalError)
    assert is_database_unavailable(error)


@pytest.fixture
def refused_role() -> Iterator[str]:
    """A URL whose role the server refuses to connect: what it answers once connections run out."""
    assert PG_URL is not None
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    role = f"prevent_ig_refused_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0"))
    yield make_url(PG_URL).set(username=role, password=None).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


@needs_postgres
def test_a_server_refusing_more_connections_is_unavailable(refused_role: str, engines: list[Engine]) -> None:
    engine = make_engine(refused_role)
    engines.append(engine)
    error = error_of(engine.connect)
    assert isinstance(error, OperationalError)
    assert "too many connections" in str(error.orig)
    assert is_database_unavailable(error)


@needs_postgres
@pytest.mark.parametrize("pool", ["writes", "reads"])
def test_a_pool_never_opens_more_than_its_size_and_a_caller_waits_then_is_told_unavailable(
    pool: str, engines: list[Engine]
) -> None:
    assert PG_URL is not None
    engine = make_engine(PG_URL, pool_size=2, busy_timeout=0.1)
    engines.append(engine)
    if pool == "reads":
        engine = make_read_engine(PG_URL, engine, pool_size=2, busy_timeout=0.1)
        engines.append(engine)
    held = [engine.connect(), engine.connect()]
    try:
        error = error_of(engine.connect)
        assert engine.pool.checkedout() == 2  # type: ignore[attr-defined]
    finally:
        for connection in held:
            connection.close()
    assert isinstance(error, PoolTimeoutError)
    assert is_database_unavailable(error)
    with engine.connect():  # and once one is back, the next caller gets it
        pass


@needs_postgres
def test_a_lock_held_past_the_busy_timeout_is_unavailable(engines: list[Engine]) -> None:
    assert PG_URL is not None
    engine = make_engine(PG_URL, busy_timeout=0.1)
    engines.append(engine)
    holder = engine.connect()
    holder.execute(text("SELECT pg_advisory_xact_lock(424242)"))  # kept until its transaction ends
    try:
        error = error_of(lambda: run(engine, "SELECT pg_advisory_xact_lock(424242)"))
    finally:
        holder.close()
    assert isinstance(error, OperationalError)
    assert described(error) == "LockNotAvailable (SQLSTATE 55P03)"
    assert is_database_unavailable(error)


@needs_postgres
def test_a_cancelled_statement_is_unavailable_and_a_syntax_error_is_a_fault(engines: list[Engine]) -> None:
    assert PG_URL is not None
    engine = make_engine(PG_URL)
    engines.append(engine)

    def slow() -> None:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL statement_timeout = 10"))
            connection.execute(text("SELECT pg_sleep(1)"))

    cancelled = error_of(slow)
    assert isinstance(cancelled, OperationalError) and is_database_unavailable(cancelled)
    broken = error_of(lambda: run(engine, "SELEC 1"))
    assert isinstance(broken, DBAPIError) and not is_database_unavailable(broken)


@needs_postgres
def test_a_wrong_database_name_is_a_fault_not_unavailability(engines: list[Engine]) -> None:
    """libpq gives a failed connection no SQLSTATE; a misconfiguration must not read as "try again"."""
    assert PG_URL is not None
    wrong = (
        make_url(PG_URL).set(database=f"no_such_{uuid.uuid4().hex[:8]}").render_as_string(hide_password=False)
    )
    engine = make_engine(wrong)
    engines.append(engine)
    error = error_of(engine.connect)
    assert isinstance(error, OperationalError)
    assert not is_database_unavailable(error)


@needs_postgres
def test_options_in_the_url_are_kept_beside_the_lock_timeout(engines: list[Engine]) -> None:
    assert PG_URL is not None
    url = make_url(PG_URL).update_query_dict({"options": "-c statement_timeout=4321"})
    engine = make_engine(url.render_as_string(hide_password=False), busy_timeout=1.5)
    engines.append(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "4321ms"
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "1500ms"
