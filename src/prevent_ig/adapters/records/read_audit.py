"""Audit events of reads, committed in groups.

Every read of case data leaves an audit event, and the reader answers only once that event is
committed (see ``unit_of_work``). Written one read at a time, each event would cost a write
transaction of its own: SQLite's write lock, or PostgreSQL's advisory lock on the chain head, then a
commit. Here the events of reads that finish at about the same time share one transaction, as a
database's group commit does: the first reader to find no group being written writes everything queued
so far, and the readers whose events it took wait for that commit and share its outcome.

Two ways in, one per way of serving:

- ``append`` blocks the calling thread until its events are committed. Reads served by a thread pool
  (the web pages, the API on PostgreSQL) group among themselves.
- ``collecting`` and ``append_collected`` serve reads run on an event loop (the API on SQLite, see
  ``entrypoints.api.auth``): reads that commit inside ``collecting()`` leave their events with the
  collector, and the caller awaits ``append_collected`` before it answers. The events of the requests
  the loop handles in one turn are written together, by the first of them to resume.

A group either commits whole or fails whole, and every reader in a failed group gets the error, so no
reader answers with data whose audit event did not land.
"""

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from prevent_ig.adapters.records.audit_log import AuditLog

Described = dict[str, Any]
"""An event as ``AuditLog.record`` described it; its time and place in the chain come when written."""


class _Ticket:
    __slots__ = ("done", "error", "events")

    def __init__(self, events: list[Described]) -> None:
        self.events = events
        self.done = False
        self.error: BaseException | None = None


class ReadAuditAppender:
    """One per database per process, shared by every unit of work so that their reads can group."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        audit_key: bytes,
        now: Callable[[], datetime],
        writer_gate: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self._factory = session_factory
        self._audit_key = audit_key
        self._now = now
        self._writer_gate = writer_gate
        self._queue: list[_Ticket] = []
        self._queue_lock = threading.Lock()
        self._writing = threading.Lock()

    @property
    def waiting(self) -> int:
        """Readers queued for the next group (the one being written, if any, not counted)."""
        with self._queue_lock:
            return len(self._queue)

    def append(self, events: list[Described]) -> None:
        """Return once ``events`` are committed, in this thread's transaction or another reader's."""
        self._lead_or_follow(self._enqueue(events))

    async def append_soon(self, events: list[Described]) -> None:
        """Return once ``events`` are committed, with those of the other requests the loop is
        handling this turn. Writes on the loop itself: the database is embedded (see module doc)."""
        ticket = self._enqueue(events)
        # Let the requests already waiting to run queue their events first; the first of them to
        # resume writes them all and answers at once, and the others find their events written.
        await asyncio.sleep(0)
        self._lead_or_follow(ticket)

    def _enqueue(self, events: list[Described]) -> _Ticket:
        ticket = _Ticket(events)
        with self._queue_lock:
            self._queue.append(ticket)
        return ticket

    def _lead_or_follow(self, ticket: _Ticket) -> None:
        with self._writing:
            if not ticket.done:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._write_group(group)
        if ticket.error is not None:
            raise ticket.error

    def _write_group(self, group: list[_Ticket]) -> None:
        try:
            with self._writer_gate(), self._factory() as session:
                AuditLog(session, key=self._audit_key, now=self._now).append_described(
                    [event for ticket in group for event in ticket.events]
                )
                session.commit()
        except BaseException as error:  # every reader in the group must learn that its event did not land
            for ticket in group:
                ticket.error = error
        for ticket in group:
            ticket.done = True


class CollectedReads:
    """Events of reads committed inside ``collecting()``, each with the appender that writes it."""

    def __init__(self) -> None:
        self.events: list[tuple[ReadAuditAppender, list[Described]]] = []


_collector: ContextVar[CollectedReads | None] = ContextVar("prevent_ig_read_audit_collector", default=None)


@contextmanager
def collecting(collected: CollectedReads) -> Iterator[None]:
    """Reads committed inside this block leave their events in ``collected``, unwritten: the caller
    must await ``append_collected`` before it lets any of the data read go out, and also when the
    block raised (what was committed before the error happened)."""
    token = _collector.set(collected)
    try:
        yield
    finally:
        _collector.reset(token)


async def append_collected(collected: CollectedReads) -> None:
    """Return once every collected event is committed (one group per database)."""
    by_appender: dict[ReadAuditAppender, list[Described]] = {}
    for appender, events in collected.events:
        by_appender.setdefault(appender, []).extend(events)
    for appender, events in by_appender.items():
        await appender.append_soon(events)


def commit_read_events(appender: ReadAuditAppender, events: list[Described]) -> None:
    """Hand a read's events to the collector of this context if there is one, else commit them now."""
    collected = _collector.get()
    if collected is not None:
        collected.events.append((appender, events))
    else:
        appender.append(events)
