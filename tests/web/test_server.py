"""The server runs with Nagle's algorithm off on every connection, whatever socket uvicorn bound, and its
supervising process keeps nothing open on the database."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from prevent_ig.entrypoints.web.server import NoDelayHttpToolsProtocol
from tests.ports import free_port


async def _empty_app(scope: object, receive: object, send: object) -> None:
    return None


def _no_delay_on_accepted_connection(protocol: type[HttpToolsProtocol]) -> int:
    """Accept one connection on a listener bound as uvicorn binds it for several workers (protocol
    number 0) and read TCP_NODELAY off the server's side of it."""

    async def run() -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        assert listener.proto == 0
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        config = uvicorn.Config(app=_empty_app, lifespan="off")
        config.load()
        state = ServerState()
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(protocol):  # type: ignore[valid-type,misc]
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                option = transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                seen.set_result(option)

        server = await asyncio.get_running_loop().create_server(
            lambda: Probe(config, state, {}), sock=listener
        )
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(run())


def test_our_protocol_turns_nagle_off_on_a_socket_bound_without_a_protocol_number() -> None:
    assert _no_delay_on_accepted_connection(NoDelayHttpToolsProtocol) != 0


def test_uvicorns_own_protocol_leaves_nagle_on_there_which_is_why_ours_exists() -> None:
    # If this starts failing, uvicorn or asyncio has fixed Kludex/uvicorn#3149 and ours can go.
    assert _no_delay_on_accepted_connection(HttpToolsProtocol) == 0


def test_the_supervising_process_holds_no_database_connection_once_its_workers_serve(tmp_path: Path) -> None:
    """`prevent-ig serve` migrates before starting its workers; the supervisor then holds nothing open
    on the database for as long as the server runs (here: no handle on the SQLite file or its WAL)."""
    database = tmp_path / "records.sqlite3"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "prevent_ig", "serve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **os.environ,
            "PREVENT_IG_DATABASE_URL": f"sqlite:///{database}",
            "PREVENT_IG_DATA_DIR": str(tmp_path),
            "PREVENT_IG_WEB_PORT": str(port),
            "PREVENT_IG_WEB_WORKERS": "2",
        },
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()  # it supervises
        held = {os.readlink(fd) for fd in Path(f"/proc/{server.pid}/fd").iterdir() if fd.is_symlink()}
        assert not {path for path in held if path.startswith(str(database))}, held
    finally:
        server.terminate()
        server.wait(timeout=20)
