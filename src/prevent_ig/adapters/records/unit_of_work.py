"""The unit of work: one transaction per use case, with its audit events inside it.

Leaving the ``with`` block without ``commit()`` rolls everything back, so a use case that fails half
way leaves neither half a record nor an audit event claiming it happened.

A use case that only reads (``reading()``) still leaves an audit event: it reads in a transaction that
takes no lock, and its ``commit()`` then hands the events it recorded to ``read_audit``, which commits
them in a short write transaction shared with other reads finishing at the same time. The caller
answers only after that commit, so no case data leaves without its audit event, and readers never hold
the writers' lock while they gather a whole case.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from datetime import date, datetime
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from prevent_ig.adapters.records.audit_log import AuditLog
from prevent_ig.adapters.records.database import READ_ONLY
from prevent_ig.adapters.records.read_audit import ReadAuditAppender, commit_read_events
from prevent_ig.domain.calendar.england_date import date_in_england

WriterGate = Callable[[], AbstractContextManager[object]]


class UnitOfWork:
    session: Session
    audit: AuditLog

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        audit_key: bytes,
        now: Callable[[], datetime],
        writer_gate: WriterGate = nullcontext,
        read_audit: ReadAuditAppender | None = None,
        read_session_factory: sessionmaker[Session] | None = None,
    ) -> None:
        self._factory = session_factory
        # Reads on PostgreSQL go to a read-only pool in autocommit (database.make_read_engine).
        self._read_factory = read_session_factory or session_factory
        self._audit_key = audit_key
        self._writer_gate = writer_gate
        # Shared by all units of work on a database (bootstrap builds one), so concurrent reads group.
        self._read_audit = read_audit or ReadAuditAppender(
            session_factory, audit_key=audit_key, now=now, writer_gate=writer_gate
        )
        self.now = now
        self._read_only = False
        self._streaming = False
        self._held = ExitStack()
        self._kept: list[object] = []

    def today(self) -> date:
        """The date in England by this unit of work's clock: no record a use case writes can be dated
        after it (a move or a disclosure dated next week would set deadlines from a day not yet come)."""
        return date_in_england(self.now())

    def __enter__(self) -> Self:
        if not self._read_only:
            self._held.enter_context(self._writer_gate())
        short_read = self._read_only and not self._streaming
        self.session = (self._read_factory if short_read else self._factory)()
        self.audit = AuditLog(self.session, key=self._audit_key, now=self.now, deferred=self._read_only)
        if self._read_only:
            self.session.connection(execution_options={READ_ONLY: True})
        return self

    def reading(self, *, streaming: bool = False) -> Self:
        """Open for reads only: the transaction takes no write lock, so readers never queue behind
        writers; audit events recorded meanwhile are appended by ``commit()``. Writing anything else in
        such a unit of work is a programming error (on PostgreSQL the server refuses it).

        ``streaming`` is for a read that streams rows through a server-side cursor (the whole audit
        chain), which PostgreSQL allows only inside a transaction: it reads in one, rather than on the
        read-only autocommit connections other reads use."""
        self._read_only = True
        self._streaming = streaming
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
            self.session.close()
        finally:
            self._kept = []
            self._held.close()

    def commit(self) -> None:
        if self._read_only:
            self.session.rollback()  # ends the read; nothing was written in it
            if self.audit.pending:
                commit_read_events(self._read_audit, self.audit.take_pending())
            return
        self.session.commit()
        self.audit.transaction_ended()
        # The session holds what it loaded and wrote only weakly; a use case that returns just an id
        # lets its rows go, and the caller's ``session.get`` for the answer would then read them back
        # in a new transaction (on SQLite one that takes the write lock). Held here until the unit of
        # work ends, they are still in hand (tested).
        self._kept = []  # what an earlier commit of this unit of work kept, unless still in hand
        self._kept = list(self.session.identity_map.values())


UnitOfWorkFactory = Callable[[], UnitOfWork]
