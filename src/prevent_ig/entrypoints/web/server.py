"""How ``prevent-ig serve`` runs uvicorn: httptools and uvloop, one process or several, Nagle off."""

import asyncio
import socket

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

APP_FACTORY = "prevent_ig.entrypoints.web.app:app_from_environment"


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
    """Serve ``app`` (an import string, so each worker process builds its own) with the access log on."""
    uvicorn.run(
        app,
        factory=factory,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        http=NoDelayHttpToolsProtocol,
        loop="uvloop",
    )
