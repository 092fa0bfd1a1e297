"""The unit of work: one transaction per use case, with its audit events inside it.

Leaving the ``with`` block without ``commit()`` rolls everything back, so a use case that fails half
way leaves neither half a record nor an audit event claiming it happened.
"""

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from prevent_ig.adapters.records.audit_log import AuditLog
from prevent_ig.adapters.records.database import READ_ONLY


class UnitOfWork:
    session: Session
    audit: AuditLog

    def __init__(
        self, session_factory: sessionmaker[Session], *, audit_key: bytes, now: Callable[[], datetime]
    ) -> None:
        self._factory = session_factory
        self._audit_key = audit_key
        self.now = now
        self._read_only = False

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.audit = AuditLog(self.session, key=self._audit_key, now=self.now)
        if self._read_only:
            self.session.connection(execution_options={READ_ONLY: True})
        return self

    def reading(self) -> Self:
        """Open for reads only: on SQLite the transaction takes no write lock, so readers never queue
        behind writers. Writing in such a unit of work is a programming error."""
        self._read_only = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()


UnitOfWorkFactory = Callable[[], UnitOfWork]
