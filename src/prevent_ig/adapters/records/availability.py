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

# PostgreSQL SQLSTATEs (appendix A of its manual) of a server that cannot take the call now. Not all
# of class 53 (a full disk or memory needs an operator, not a retry), nor 08P01 (a protocol bug).
_POSTGRES_UNAVAILABLE_STATES = frozenset(
    {
        "08000",  # connection_exception
        "08003",  # connection_does_not_exist
        "08006",  # connection_failure
        "08001",  # sqlclient_unable_to_establish_sqlconnection
        "08004",  # sqlserver_rejected_establishment_of_sqlconnection
        "53300",  # too_many_connections
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
        return getattr(cause, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
    if isinstance(cause, psycopg.Error):
        if cause.sqlstate is not None:
            return cause.sqlstate in _POSTGRES_UNAVAILABLE_STATES
        return isinstance(cause, psycopg.OperationalError) and _unreachable(cause)
    return False


# libpq reports a failure to connect with no SQLSTATE, so the message is all there is to tell a
# server that is down or full from a wrong password, database name or host (which need fixing).
_UNREACHABLE_MESSAGES = (
    "connection refused",
    "too many clients",
    "too many connections",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "server closed the connection unexpectedly",
    "timeout expired",
    "connection timed out",
    "no route to host",
)


def _unreachable(error: psycopg.OperationalError) -> bool:
    message = str(error).lower()
    return any(phrase in message for phrase in _UNREACHABLE_MESSAGES)


def described(error: BaseException) -> str:
    """The error's kind and code for the log, never its message: a driver's message can quote the
    statement's parameters, and those may be personal data."""
    cause = error.orig if isinstance(error, DBAPIError) else None
    if isinstance(cause, sqlite3.Error):
        return f"{type(cause).__name__} (SQLite code {getattr(cause, 'sqlite_errorcode', 'none')})"
    if isinstance(cause, psycopg.Error):
        return f"{type(cause).__name__} (SQLSTATE {cause.sqlstate or 'none'})"
    return type(error).__name__
