"""The one place that wires settings, database, audit key and engine configuration together.

Nothing is built at import time: entrypoints call ``build_records()`` when a command needs the
database, so ``prevent-ig assess`` never touches one.
"""

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Connection, Engine

from prevent_ig.adapters.engine_config_file import load_engine_config
from prevent_ig.adapters.records.database import (
    READ_ONLY,
    is_sqlite,
    make_engine,
    make_read_engine,
    make_session_factory,
    writer_gate,
)
from prevent_ig.adapters.records.read_audit import ReadAuditAppender
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.england_date import date_in_england
from prevent_ig.domain.config import EngineConfig
from prevent_ig.settings import AuditSettings, DatabaseSettings, EngineSettings

MIN_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """Settings are missing or wrong; the message says which and how to fix it."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def today_in_england() -> date:
    """Today's date in England by the real clock, for commands that have no ``Records`` to ask."""
    return date_in_england(utc_now())


@dataclass(frozen=True)
class Records:
    engine: Engine
    engine_config: EngineConfig
    new_unit_of_work: Callable[[], UnitOfWork]
    url: str
    now: Callable[[], datetime] = utc_now
    read_engine: Engine | None = None
    """Where the token check reads (``make_read_engine``); ``engine`` when not given."""

    @cached_property
    def embedded(self) -> bool:
        """An embedded SQLite file: its calls run in this process and take microseconds, never a
        network round trip."""
        return is_sqlite(self.url)

    def today(self) -> date:
        """The date in England by this clock: the day every use case is dated and every deadline is
        counted from, whatever zone the server keeps (domain/calendar/england_date.py)."""
        return date_in_england(self.now())

    def lookup(self) -> Connection:
        """A connection for one read outside any unit of work (the API's token check): no session, no
        audit log, and on SQLite no write lock. Use it in a ``with`` block."""
        return (self.read_engine or self.engine).connect().execution_options(**{READ_ONLY: True})


def build_records(
    *,
    database: DatabaseSettings | None = None,
    audit: AuditSettings | None = None,
    engine_settings: EngineSettings | None = None,
    now: Callable[[], datetime] = utc_now,
) -> Records:
    database = database or DatabaseSettings()
    audit = audit or AuditSettings()
    engine_settings = engine_settings or EngineSettings()
    url = database.url()
    timeout, pool_size = database.database_busy_timeout_seconds, database.database_pool_size
    engine = make_engine(url, busy_timeout=timeout, pool_size=pool_size)
    read_engine = make_read_engine(url, engine, busy_timeout=timeout, pool_size=pool_size)
    factory, read_factory = make_session_factory(engine), make_session_factory(read_engine)
    key = audit_key(audit, database.data_dir)
    gate = writer_gate(url, timeout=timeout)
    read_audit = ReadAuditAppender(factory, audit_key=key, now=now, writer_gate=gate)
    return Records(
        engine=engine,
        engine_config=load_engine_config(engine_settings.engine_config),
        new_unit_of_work=lambda: UnitOfWork(
            factory,
            audit_key=key,
            now=now,
            writer_gate=gate,
            read_audit=read_audit,
            read_session_factory=read_factory,
        ),
        url=url,
        now=now,
        read_engine=read_engine,
    )


def audit_key(settings: AuditSettings, data_dir: Path) -> bytes:
    """The configured key, or one generated once into the data directory (readable by owner only)."""
    if settings.audit_key is not None:
        if len(settings.audit_key) < MIN_KEY_LENGTH:
            raise ConfigurationError(f"PREVENT_IG_AUDIT_KEY must be at least {MIN_KEY_LENGTH} characters")
        return settings.audit_key.encode()
    path = data_dir / "audit.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip().encode()
