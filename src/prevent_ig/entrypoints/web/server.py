"""How ``prevent-ig serve`` runs uvicorn: one process or several, Nagle's algorithm off either way."""

import asyncio
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

APP_FACTORY = "prevent_ig.entrypoints.web.app:app_from_environment"


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, turning Nagle's algorithm off on each connection it accepts.

    With more than one worker uvicorn binds the listening socket itself and leaves its protocol number
    at 0, so asyncio does not set ``TCP_NODELAY`` on accepted connections; every keep-alive response
    after the first then waits about 40 ms for the client's delayed acknowledgement
    (https://github.com/Kludex/uvicorn/issues/3149, open when this was written).
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
        http=NoDelayH11Protocol,
    )
