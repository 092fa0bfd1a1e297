"""The server runs with Nagle's algorithm off on every connection, whatever socket uvicorn bound, its
supervising process keeps nothing open on the database, and its access log carries no query string."""

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
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


def _wait_until_serving(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


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
        _wait_until_serving(server, port)
        assert Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()  # it supervises
        held = {os.readlink(fd) for fd in Path(f"/proc/{server.pid}/fd").iterdir() if fd.is_symlink()}
        assert not {path for path in held if path.startswith(str(database))}, held
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_access_log_keeps_the_path_and_drops_the_query_string(tmp_path: Path, workers: str) -> None:
    """The referral page checks an address given in its query (?email=…), often a named officer's; the
    access log printed it with every request line. Now the line has the path and no query, in the
    single process and in each of several workers (which configure their logging afresh)."""
    address = "synthetic.officer@example.nhs.uk"
    log = tmp_path / "access.log"
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "prevent_ig", "serve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",  # each line in the file as it is logged
                "PREVENT_IG_DATABASE_URL": f"sqlite:///{tmp_path / 'records.sqlite3'}",
                "PREVENT_IG_DATA_DIR": str(tmp_path),
                "PREVENT_IG_WEB_PORT": str(port),
                "PREVENT_IG_WEB_WORKERS": workers,
            },
        )
    try:
        _wait_until_serving(server, port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/cases/1/referral?email={address}&check=1")
        status = connection.getresponse().status  # not signed in: sent to sign in, and logged all the same
        connection.close()
        request_line = f'"GET /cases/1/referral HTTP/1.1" {status}'
        deadline = time.monotonic() + 10
        while request_line not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=20)
    logged = log.read_text()
    assert request_line in logged, logged
    assert address not in logged and "email=" not in logged and "/cases/1/referral?" not in logged, logged
