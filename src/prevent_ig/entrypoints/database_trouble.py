"""The one answer, on the API and the web app alike, to a database that cannot take a call just now.

See ``adapters.records.availability`` for which errors count. The log line names the route and the
error's code only: ids may appear in a path, personal data never does.
"""

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from prevent_ig.adapters.records.availability import RETRY_AFTER_SECONDS, described, is_database_unavailable
from prevent_ig.adapters.records.database import DatabaseBusyError

log = logging.getLogger(__name__)


def answer_database_unavailable(app: FastAPI, answer: Callable[[Request], Response]) -> None:
    """Answer with ``answer(request)`` and ``Retry-After`` when a call meets an unavailable database;
    any other database error stays a server error."""

    async def unavailable(request: Request, error: Exception) -> Response:
        if not is_database_unavailable(error):
            raise error
        log.warning("database could not take %s %s: %s", request.method, request.url.path, described(error))
        response = answer(request)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for kind in (DBAPIError, PoolTimeoutError, DatabaseBusyError):
        app.add_exception_handler(kind, unavailable)
