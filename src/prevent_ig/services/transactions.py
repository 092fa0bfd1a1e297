"""Run an existing use case inside a bigger one's transaction.

Use cases commit their own unit of work. Some steps must be atomic with others, though: a disclosure
must be recorded in the same transaction as the message that carries it, or a crash between the two
would leave a disclosure never sent or a message never recorded. ``enlisted(uow)`` hands a use case
a unit of work that shares the caller's session and audit log and whose ``commit()`` only flushes,
so the caller's single ``commit()`` decides for all of it.
"""

from prevent_ig.adapters.records.unit_of_work import UnitOfWork


class _Enlisted(UnitOfWork):
    def __init__(self, outer: UnitOfWork) -> None:  # shares, rather than opens, a session
        self.session = outer.session
        self.audit = outer.audit
        self.now = outer.now

    def commit(self) -> None:
        self.session.flush()


def enlisted(uow: UnitOfWork) -> UnitOfWork:
    return _Enlisted(uow)
