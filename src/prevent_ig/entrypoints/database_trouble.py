"""The one answer, on the API and the web app alike, to a database error.

A database that cannot take a call just now (see ``adapters.records.availability``) gets ``unavailable``
with ``Retry-After``; any other database error is a fault of ours or of the deployment and gets
``failed`` (a 500). Both are answered here rather than left to the server: the API is mounted inside
the web app, and an error escaping it after its 500 went out would reach the web app's handler with
the response already started (Starlette then logs a RuntimeError in place of the real error).

The log names the route, the error's kind and code, and for a fault where in our code it happened;
never the driver's message, which can quote personal data (ids may appear in a path; names never do).
"""

import logging
import traceback
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from prevent_ig.adapters.records.availability import RETRY_AFTER_SECONDS, described, is_database_unavailable
from prevent_ig.adapters.records.database import DatabaseBusyError

log = logging.getLogger(__name__)
Answer = Callable[[Request], Response]
DATABASE_ERRORS = (DBAPIError, PoolTimeoutError, DatabaseBusyError)
"""What counts as a database error here, for code that must answer despite one (a refused page)."""


def log_database_error(where: str, error: Exception) -> bool:
    """Log ``error`` as this module logs every database error; True when the database was only
    unavailable (busy, restarting, unreachable) rather than at fault."""
    if not is_database_unavailable(error):
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("database error on %s: %s\n%s", where, described(error), frames)
        return False
    log.warning("database could not take %s: %s", where, described(error))
    return True


def answer_database_errors(app: FastAPI, *, unavailable: Answer, failed: Answer) -> None:
    async def database_error(request: Request, error: Exception) -> Response:
        if not log_database_error(f"{request.method} {request.url.path}", error):
            return failed(request)
        response = unavailable(request)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, database_error)
