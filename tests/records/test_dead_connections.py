"""Pooled PostgreSQL connections are checked with a ping only after they have sat idle, and a dead one
found that way is replaced before anyone uses it (``database.ping_when_idle``)."""

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from prevent_ig.adapters.records.database import make_engine, make_read_engine
from tests.fixtures_db import PG_URL

pytestmark = pytest.mark.skipif(PG_URL is None, reason="pinging pooled connections is for PostgreSQL")

IDLE = 0.2
"""The idle time after which these tests' pools ping (the app's is a second)."""

Pools = Callable[[float], Engine]


def backend_of(engine: Engine) -> int:
    """The server process behind the connection the pool hands out next (then returned to it)."""
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def kill(backend: int) -> None:
    """What a server restart or a dropped session does to a pooled connection: the server ends it."""
    assert PG_URL is not None
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
        time.sleep(0.05)  # let the backend finish exiting
    finally:
        admin.dispose()


def counted_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The connections the pool pings from now on; each ping still goes to the server."""
    pinged: list[object] = []
    ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:
        pinged.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    return pinged


@pytest.fixture(params=["writes", "reads"])
def pool(request: pytest.FixtureRequest) -> Iterator[Pools]:
    """An engine of either of the app's pools, with one connection that has been used once."""
    assert PG_URL is not None
    made: list[Engine] = []

    def make(ping_after_idle: float) -> Engine:
        engine = make_engine(PG_URL, ping_after_idle=ping_after_idle)
        made.append(engine)
        if request.param == "reads":
            engine = make_read_engine(PG_URL, engine, ping_after_idle=ping_after_idle)
            made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(pool: Pools) -> None:
    engine = pool(IDLE)
    first = backend_of(engine)
    kill(first)
    time.sleep(IDLE * 2)
    assert backend_of(engine) != first  # no error: the ping found it dead and the pool reconnected


def test_after_a_restart_one_failed_ping_recycles_every_older_connection(
    pool: Pools, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart or failover kills every pooled connection at once: the first dead one found makes the
    pool recycle the rest too, rather than each failing a ping of its own."""
    engine = pool(IDLE)
    with engine.connect() as one, engine.connect() as two:  # two connections in the pool
        killed = {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)}
    for backend in killed:
        kill(backend)
    time.sleep(IDLE * 2)
    pings = counted_pings(engine, monkeypatch)
    with engine.connect() as one, engine.connect() as two:
        now = {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)}
    assert len(now) == 2 and not now & killed
    assert len(pings) == 1  # the second old connection was recycled unpinged


def test_a_connection_back_out_within_the_idle_time_is_not_pinged(pool: Pools) -> None:
    """The price of not pinging busy connections, stated as a test: a connection the server dropped
    moments after its last use fails the one call that meets it, and the pool recovers at once."""
    engine = pool(60.0)
    first = backend_of(engine)
    kill(first)
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert raised.value.connection_invalidated
    assert backend_of(engine) != first


@pytest.mark.parametrize(("ping_after_idle", "pings"), [(60.0, 0), (0.0, 4)])
def test_a_connection_is_pinged_only_when_it_has_sat_idle(
    pool: Pools, monkeypatch: pytest.MonkeyPatch, ping_after_idle: float, pings: int
) -> None:
    engine = pool(ping_after_idle)
    first = backend_of(engine)  # a new connection is not pinged: it has just proved itself
    seen = counted_pings(engine, monkeypatch)
    assert [backend_of(engine) for _ in range(4)] == [first] * 4
    assert len(seen) == pings
