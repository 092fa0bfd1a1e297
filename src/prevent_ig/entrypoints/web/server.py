"""How ``prevent-ig serve`` runs uvicorn: httptools and uvloop, one process or several, Nagle off,
and an access log without query strings."""

import asyncio
import copy
import logging
import socket
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

APP_FACTORY = "prevent_ig.entrypoints.web.app:app_from_environment"
ACCESS_LOGGER = "uvicorn.access"


class QueryStringsOut(logging.Filter):
    """Cut the query string from each access log line, keeping the path.

    A query can carry what logs must not: ``GET /cases/{id}/referral?email=…`` checks an address, often
    a named officer's, and logs carry ids only (docs/mail.md). uvicorn logs the request line as
    ``(client, method, path?query, http_version, status)`` arguments, and its formatter rebuilds the
    line from them, so the path is rewritten there. Every text argument is cut at its first ``?``
    rather than only the third: uvicorn percent-encodes a ``?`` inside the path, so the first one
    starts the query, and a change in uvicorn's argument order cannot let a query through.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(a.partition("?")[0] if isinstance(a, str) else a for a in record.args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with ``QueryStringsOut`` on the access logger. Given to
    uvicorn rather than installed here, because each worker process configures its logging afresh
    from it: a filter added to this process's logger would not reach the workers."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["query_strings_out"] = {"()": f"{__name__}.QueryStringsOut"}
    config["loggers"][ACCESS_LOGGER]["filters"] = ["query_strings_out"]
    return config


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on an accepted TCP connection.

    With more than one worker uvicorn binds the listening socket itself and leaves its protocol number
    at 0, so asyncio does not set ``TCP_NODELAY`` on accepted connections; every keep-alive response
    after the first then waits about 40 ms for the client's delayed acknowledgement
    (https://github.com/Kludex/uvicorn/issues/3149, open when this was written).
    """
    connection = transport.get_extra_info("socket")
    if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's protocol on httptools (the C HTTP parser ``prevent-ig serve`` uses), Nagle off."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)


def serve(app: str = APP_FACTORY, *, host: str, port: int, workers: int, factory: bool = True) -> None:
    """Serve ``app`` (an import string, so each worker process builds its own) with the access log on,
    its lines without query strings."""
    uvicorn.run(
        app,
        factory=factory,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(),
        log_level="info",
        http=NoDelayHttpToolsProtocol,
        loop="uvloop",
    )
