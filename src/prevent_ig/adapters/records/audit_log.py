"""Appending to and reading the hash-chained audit log.

Appends are serialised so concurrent app processes cannot fork the chain: PostgreSQL takes a
transaction-scoped advisory lock, SQLite already holds its write lock (``BEGIN IMMEDIATE``). As a
last line of defence ``prev_hash`` is unique, so a fork would fail to commit rather than land.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.records.audit_chain import (
    GENESIS_HASH,
    AuditEvent,
    change_digest,
    event_hash,
)

ADVISORY_LOCK_KEY = 0x70726576  # "prev"
READ_BATCH = 10_000


def utc_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    def __init__(self, session: Session, *, key: bytes, now: Callable[[], datetime]) -> None:
        self._session = session
        self._key = key
        self._now = now
        self._head: tuple[int, str] | None = None

    def record(
        self,
        *,
        actor: str,
        event: str,
        case_id: int | None = None,
        entity: str | None = None,
        change: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event in the current transaction; ``change`` is digested, never stored."""
        seq, prev = self._locked_head()
        at = utc_timestamp(self._now())
        digest = change_digest(self._key, change) if change is not None else None
        fields = {
            "seq": seq + 1,
            "at": at,
            "actor": actor,
            "event": event,
            "case_id": case_id,
            "entity": entity,
            "digest": digest,
            "prev_hash": prev,
        }
        new_hash = event_hash(**fields)  # type: ignore[arg-type]
        self._session.execute(insert(AuditEventRow).values(**fields, hash=new_hash))
        self._head = (seq + 1, new_hash)
        return AuditEvent(**fields, hash=new_hash)  # type: ignore[arg-type]

    def _locked_head(self) -> tuple[int, str]:
        if self._head is None:
            if self._session.get_bind().dialect.name == "postgresql":
                self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            row = self._session.execute(
                select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
            ).first()
            self._head = (row.seq, row.hash) if row else (0, GENESIS_HASH)
        return self._head


def head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


def stream_events(session: Session) -> Iterator[AuditEvent]:
    """Every event in order, read in batches so a million-event chain fits in little memory."""
    statement = select(
        AuditEventRow.seq,
        AuditEventRow.at,
        AuditEventRow.actor,
        AuditEventRow.event,
        AuditEventRow.case_id,
        AuditEventRow.entity,
        AuditEventRow.digest,
        AuditEventRow.prev_hash,
        AuditEventRow.hash,
    ).order_by(AuditEventRow.seq)
    result = session.execute(statement.execution_options(yield_per=READ_BATCH))
    for row in result:
        yield AuditEvent(*row)
