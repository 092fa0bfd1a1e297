"""Telling a database that is down, full or busy from a fault in our own code.

A call that meets a database it cannot reach, a server refusing more connections, a write lock held
past the busy timeout, an empty connection pool, or a transaction the server cancelled (a deadlock, a
shutdown) has changed nothing: its transaction rolled back, and the same call may well succeed a
moment later. The entrypoints say so (the API answers 503 with ``Retry-After``, the web app a 503 page,
the CLI exits 75) instead of a 500 and a traceback, which would tell the caller that we are broken
and hide from an operator that the database is the one to look at.

An error that trying again would not mend (a missing table, a broken statement, a constraint) is not
one of these, and stays a server error.
"""

import sqlite3

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from prevent_ig.adapters.records.database import DatabaseBusyError

RETRY_AFTER_SECONDS = 5
"""What the API and the web app suggest a caller waits before trying again."""

_SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
# PostgreSQL SQLSTATEs (appendix A of its manual) of a server that cannot take the call now.
_POSTGRES_UNAVAILABLE_CLASSES = frozenset({"08", "53"})  # connection exception; insufficient resources
_POSTGRES_UNAVAILABLE_STATES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available
        "57014",  # query_canceled (a statement timeout)
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, or in recovery)
    }
)


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not take the call now, rather than that it failed."""
    if isinstance(error, (DatabaseBusyError, PoolTimeoutError)):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig
    if isinstance(cause, sqlite3.Error):
        # Errors the sqlite3 module raises itself (a closed connection, say) carry no code.
        return getattr(cause, "sqlite_errorcode", 0) & 0xFF in _SQLITE_BUSY_CODES
    if isinstance(cause, psycopg.Error):
        state = cause.sqlstate
        if state is None:
            # No answer from a server at all: refused, unreachable, or the connection dropped.
            return isinstance(cause, psycopg.OperationalError)
        return state[:2] in _POSTGRES_UNAVAILABLE_CLASSES or state in _POSTGRES_UNAVAILABLE_STATES
    return False


def described(error: BaseException) -> str:
    """The error's kind and code for the log, never its message: a driver's message can quote the
    statement's parameters, and those may be personal data."""
    cause = error.orig if isinstance(error, DBAPIError) else None
    if isinstance(cause, sqlite3.Error):
        return f"{type(cause).__name__} (SQLite code {getattr(cause, 'sqlite_errorcode', 'none')})"
    if isinstance(cause, psycopg.Error):
        return f"{type(cause).__name__} (SQLSTATE {cause.sqlstate or 'none'})"
    return type(error).__name__
