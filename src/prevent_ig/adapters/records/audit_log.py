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

from prevent_ig.adapters.records.tables import AuditEventRow, table_of
from prevent_ig.domain.records.audit_chain import (
    GENESIS_HASH,
    AuditEvent,
    change_digest,
    event_hash,
)

ADVISORY_LOCK_KEY = 0x70726576  # "prev"
READ_BATCH = 10_000
# Built once: every append runs these, and building a statement costs more than running it.
_events = table_of(AuditEventRow)
APPEND = insert(_events)
HEAD = select(_events.c.seq, _events.c.hash).order_by(_events.c.seq.desc()).limit(1)
ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def utc_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    def __init__(
        self, session: Session, *, key: bytes, now: Callable[[], datetime], deferred: bool = False
    ) -> None:
        self._session = session
        self._key = key
        self._now = now
        self._deferred = deferred
        self._head: tuple[int, str] | None = None
        self.pending: list[dict[str, Any]] = []

    def record(
        self,
        *,
        actor: str,
        event: str,
        case_id: int | None = None,
        entity: str | None = None,
        change: dict[str, Any] | None = None,
    ) -> None:
        """Append one event in the current transaction; ``change`` is digested, never stored.

        In a reading unit of work the event waits in ``pending`` until the unit of work commits, and is
        then appended by ``read_audit``."""
        digest = change_digest(self._key, change) if change is not None else None
        described = {"actor": actor, "event": event, "case_id": case_id, "entity": entity, "digest": digest}
        if self._deferred:
            self.pending.append(described)
        else:
            self._append(described)

    def serialise(self) -> None:
        """Take the chain's lock now rather than at the first append. A use case that refuses a write
        repeating one already made (a form posted twice) calls this before it looks: the same write in
        another process then waits until this transaction ends, and sees its row."""
        self._locked_head()

    def transaction_ended(self) -> None:
        """Forget the head read under the lock: the next transaction must read it again under its own."""
        self._head = None

    def take_pending(self) -> list[dict[str, Any]]:
        """The events a reading unit of work recorded, for ``read_audit`` to append."""
        taken, self.pending = self.pending, []
        return taken

    def append_described(self, events: list[dict[str, Any]]) -> None:
        """Append events recorded earlier (by reads), in this log's transaction, in their order."""
        for described in events:
            self._append(described)

    def _append(self, described: dict[str, Any]) -> None:
        seq, prev = self._locked_head()
        fields = {"seq": seq + 1, "at": utc_timestamp(self._now()), **described, "prev_hash": prev}
        new_hash = event_hash(**fields)
        self._session.execute(APPEND, {**fields, "hash": new_hash})
        self._head = (seq + 1, new_hash)

    def _locked_head(self) -> tuple[int, str]:
        if self._head is None:
            if self._session.get_bind().dialect.name == "postgresql":
                # Two statements on purpose: under READ COMMITTED a statement reads the snapshot taken
                # when it began, so a head read in the statement that waits for the lock would be
                # stale (tried; test_concurrent_processes_never_fork_the_chain caught it).
                self._session.execute(ADVISORY_LOCK, {"key": ADVISORY_LOCK_KEY})
            self._head = head(self._session)
        return self._head


def head(session: Session) -> tuple[int, str]:
    row = session.execute(HEAD).first()
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
