"""What one API call costs, one at a time in one process, beside the bare endpoint and the audited floor.

    .venv/bin/python bench/per_call.py [--cases 20000] [--calls 500] [--rounds 5] [--database-url URL]

bench/load.py measures the served app under 50 clients, where queueing, the HTTP server and the load
generator (which shares the cores) blur what each call costs and runs vary by 10-15%. Here the three
ASGI apps of that benchmark (bench/bare_app.py, bench/floor_app.py and prevent-ig itself) are called
directly on one event loop, one request at a time, with no server, no socket and no other work: the
figures are the CPU each call takes in our code, the frameworks and the database driver, and they are
steady enough to judge a change by. Reported, per kind of call: microseconds per call (the lowest
round's mean of --rounds alternating rounds) and the ratio to the bare endpoint's call; with
``--profile``, also the Python function calls per request (deterministic, unlike timings).

One call at a time means each read's audit event is committed on its own, where under load the events
of reads finishing together share one commit (docs/architecture.md); the audited calls therefore cost
a little more here than their share of a loaded server's time.

The database is a temporary SQLite file by default; --database-url names an empty PostgreSQL database
instead (prevent-ig's tables are created in it).
"""

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench import bare_app, floor_app
from bench.due import populate
from bench.load import ASSESSMENT
from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.bootstrap import build_records, utc_now
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web.app import create_app
from prevent_ig.services.api_tokens import create_token
from prevent_ig.settings import WebSettings

AUDIT_KEY = "load-bench-key-load-bench-key-load-bench-key"
MIX = {"case view": 0.6, "due list": 0.2, "assessment": 0.2}
"""bench/load.py's mix of the app's calls, to weigh the per-call costs into one figure."""
Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Call:
    kind: str
    app: Asgi
    method: str
    path: Callable[[random.Random], str]
    body: bytes = b""
    authorised: bool = True


async def asgi_call(
    app: Asgi, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> int:
    """One request straight into the ASGI app, as uvicorn would hand it over; the response's status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


def _any_case(cases: int, prefix: str, suffix: str = "") -> Callable[[random.Random], str]:
    return lambda rng: f"{prefix}{rng.randint(1, cases)}{suffix}"


def app_calls(cases: int, app: Asgi) -> list[Call]:
    """prevent-ig's own calls, the load mix's three kinds, on ``app`` as the caller built it."""
    decision = json.dumps({"assessment": ASSESSMENT, "lead_decision": "follow"}).encode()
    return [
        Call("case view", app, "GET", _any_case(cases, "/api/v1/cases/")),
        Call("due list", app, "GET", lambda _rng: "/api/v1/due"),
        Call("assessment", app, "POST", _any_case(cases, "/api/v1/cases/", "/decisions"), decision),
    ]


def calls_for(cases: int) -> list[Call]:
    """The calls to time, the app built as the tests build it; each app finds its database in the
    environment when it is created."""
    return [
        Call("bare row", bare_app.create(), "GET", _any_case(cases, "/row/"), authorised=False),
        Call("floor row", floor_app.create(), "GET", _any_case(cases, "/row/")),
        *app_calls(cases, create_app(records=build_records(), web=WebSettings())),
    ]


async def run_calls(call: Call, token: str, count: int, seed: int) -> float:
    """Seconds per call over ``count`` calls; any answer but success stops the benchmark."""
    headers = [(b"authorization", f"Bearer {token}".encode())] if call.authorised else []
    if call.body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(call.body)).encode())]
    rng = random.Random(seed)
    begin = time.perf_counter()
    for _ in range(count):
        status = await asgi_call(call.app, call.method, call.path(rng), headers, call.body)
        if status not in (200, 201):
            raise RuntimeError(f"{call.kind}: answered {status}")
    return (time.perf_counter() - begin) / count


def python_calls_per_request(call: Call, token: str, count: int) -> float:
    profile = cProfile.Profile()
    profile.enable()
    asyncio.run(run_calls(call, token, count, seed=99))
    profile.disable()
    stats: Any = pstats.Stats(profile)
    return float(stats.total_calls) / count


def prepared(url: str, cases: int, data_dir: Path) -> str:
    """Fill the database with ``cases`` cases and point this process's environment (which the apps
    read when they are built) at it; an API token of a Prevent lead."""
    os.environ.update(
        PREVENT_IG_DATABASE_URL=url, PREVENT_IG_DATA_DIR=str(data_dir), PREVENT_IG_AUDIT_KEY=AUDIT_KEY
    )
    populate(url, cases, due=200)
    factory = make_session_factory(make_engine(url))
    with UnitOfWork(factory, audit_key=AUDIT_KEY.encode(), now=utc_now) as uow:
        _, token = create_token(uow=uow, actor="bench", service="per call", role=Role.PREVENT_LEAD, days=1)
    return token


def measure(url: str, args: argparse.Namespace, data_dir: Path) -> None:
    token = prepared(url, args.cases, data_dir)
    calls = calls_for(args.cases)

    async def rounds() -> dict[str, list[float]]:
        for call in calls:  # warm up: compiled-statement caches, connection pools, imports
            await run_calls(call, token, 50, seed=0)
        seconds: dict[str, list[float]] = {call.kind: [] for call in calls}
        for round_number in range(args.rounds):
            for call in calls:  # alternate, so a slow spell of a shared machine falls on all alike
                seconds[call.kind].append(await run_calls(call, token, args.calls, seed=round_number + 1))
        return seconds

    seconds = {kind: min(values) for kind, values in asyncio.run(rounds()).items()}
    bare = seconds["bare row"]
    for call in calls:
        cost = seconds[call.kind]
        line = f"  {call.kind:<11} {cost * 1e6:8,.0f} µs per call  {cost / bare:5.1f} × bare"
        if args.profile:
            line += f"  {python_calls_per_request(call, token, args.calls):7,.0f} Python calls per request"
        print(line)
    mix = sum(share * seconds[kind] for kind, share in MIX.items())
    print(
        f"  the load mix (60% view, 20% due, 20% assessment): {mix * 1e6:,.0f} µs per call, "
        f"{mix / bare:.1f} × bare, {mix / seconds['floor row']:.1f} × floor"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=500, help="calls of each kind per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; the lowest mean counts")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--profile", action="store_true", help="also count Python calls per request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'per-call.sqlite3'}"
        print(f"{'PostgreSQL' if args.database_url else 'SQLite'}, {args.cases:,} cases, one call at a time:")
        measure(url, args, Path(tmp))


if __name__ == "__main__":
    main()
