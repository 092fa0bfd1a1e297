"""Load: concurrent clients against the app on loopback, beside a bare endpoint, SQLite and PostgreSQL.

    .venv/bin/python bench/load.py [--cases 100000] [--clients 50] [--seconds 20] [--workers 1]
                                   [--warm-up 3] [--rounds 4] [--postgres-url URL] [--no-sqlite]

The database is filled with --cases synthetic cases (PostgreSQL only if --postgres-url names an
empty database). The app runs as `prevent-ig serve` runs it (uvicorn, --workers processes, access log
on) and gets a mix: 60% case view (GET /api/v1/cases/{id}, audited), 20% due list (GET /api/v1/due,
about 400 items here, audited), 20% assessment recorded on a case (POST /api/v1/cases/{id}/decisions,
which writes). The baseline is a bare Starlette endpoint reading one case row by primary key from the
same database, served by the same function with the same number of processes, under the same clients.
Between the two sits the audited floor (bench/floor_app.py): the same one-row read on the API's own
token check and dispatch, leaving its audit event, and nothing else. What the floor costs over the bare
endpoint is what authentication and the audit chain alone add; what the app costs over the floor is
what the features add (a whole case, a due list, the assessment engine and its writes).

The clients are closed loops (each sends its next request when the last is answered) in this process,
written against asyncio streams: an HTTP library would spend more CPU per request than the servers on
a two-core machine. The same clients drive every server, so the ratios compare like with like; note
that the bare endpoint is so cheap that these clients, not the server, limit its rate. After
--warm-up seconds on each (timings dropped), the three alternate for --rounds rounds, each side getting
--seconds in all, so a slow spell of a shared machine falls on all alike; each ratio printed is the
median of the rounds' ratios. Everything talks only to 127.0.0.1.

Targets (issue 6): p99 under 100 ms for case view and due list, under 250 ms for an assessment;
throughput at least a third of the bare endpoint's.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench.due import DATE_OF_BIRTH, populate
from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.bootstrap import today_in_england, utc_now
from prevent_ig.domain.access import Role
from prevent_ig.services.api_tokens import create_token
from prevent_ig.services.cases import age_on

ROOT = Path(__file__).parents[1]
POSTGRES_CONNECTIONS = 90
"""What the three servers may hold open together on PostgreSQL, under its default max_connections of
100: each server process keeps one pool (bare) or two (floor, app), all of PREVENT_IG_DATABASE_POOL_SIZE."""
MAX_REQUESTS = 200_000
Request = tuple[str, str, str, object]
Timings = dict[str, list[float]]
ASSESSMENT = {
    "kind": "referral",
    "purpose": "prevent_referral",
    # The age the populated subjects' date of birth gives today: a decision must agree with the record.
    "subject": {
        "role": "patient",
        "age": age_on(DATE_OF_BIRTH, today_in_england()),
        "adult_at_risk": False,
        "has_capacity": True,
    },
    "consent": {"status": "given", "given_by": "subject", "reason_not_sought": None},
    "recipient": {
        "name": "Synthetic Police",
        "type": "police",
        "competent_authority": True,
        "email": "prevent@synthetic.pnn.police.uk",
        "dsa_in_place": True,
    },
    "request": None,
    "grounds": {
        "risk_of_harm_to_self": False,
        "risk_of_harm_to_others": True,
        "substantial_public_interest": True,
        "informing_would_prejudice": False,
        "best_interests": False,
        "legal_requirement": None,
        "legal_requirement_detail": None,
        "rationale": "Synthetic",
    },
    "items": [
        {
            "id": "identity",
            "description": "Name",
            "category": "identity",
            "relevant": True,
            "justification": "Needed",
        }
    ],
    "ig_advice": None,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command[:3]} did not start")


class Connection:
    """A minimal HTTP/1.1 keep-alive client: httpx spends about a millisecond of CPU per request, which
    on a two-core machine would take the cores the servers need and measure the client instead."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "127.0.0.1", **headers}.items())

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method: str, path: str, body: bytes | None) -> int:
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + (body or b""))
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked responses are not expected from these endpoints")
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def drive(
    port: int,
    make_request: Callable[[random.Random], Request],
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    stop = time.monotonic() + seconds
    sent = 0

    async def worker(seed: int) -> None:
        nonlocal sent
        rng = random.Random(seed)
        connection = Connection(port, headers or {})
        await connection.open()
        try:
            while time.monotonic() < stop and sent < MAX_REQUESTS:
                sent += 1
                kind, method, path, body = make_request(rng)
                payload = json.dumps(body).encode() if body is not None else None
                begin = time.perf_counter()
                status = await connection.request(method, path, payload)
                elapsed = time.perf_counter() - begin
                if status >= 500:
                    raise RuntimeError(f"{kind} {path}: {status}")
                timings.setdefault(kind, []).append(elapsed)
        finally:
            connection.close()

    await asyncio.gather(*(worker(n) for n in range(clients)))
    return timings


def count(timings: dict[str, list[float]]) -> int:
    return sum(len(values) for values in timings.values())


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def report(label: str, timings: dict[str, list[float]], seconds: float) -> None:
    print(f"  {label}: {count(timings) / seconds:,.0f} requests/s")
    for kind, values in sorted(timings.items()):
        print(
            f"    {kind:<12} n={len(values):>6}  p50 {percentile(values, 50) * 1000:7.1f} ms  "
            f"p95 {percentile(values, 95) * 1000:7.1f} ms  p99 {percentile(values, 99) * 1000:7.1f} ms"
        )


def run(url: str, args: argparse.Namespace, data_dir: Path) -> None:
    cases, clients, seconds, workers = args.cases, args.clients, args.seconds, args.workers
    populate(url, cases, due=200)
    factory = make_session_factory(make_engine(url))
    with UnitOfWork(factory, audit_key=b"load-bench-key-" * 3, now=utc_now) as uow:
        _, token = create_token(uow=uow, actor="bench", service="load bench", role=Role.PREVENT_LEAD, days=1)
    env = {
        "PREVENT_IG_DATABASE_URL": url,
        "PREVENT_IG_DATA_DIR": str(data_dir),
        "PREVENT_IG_AUDIT_KEY": "load-bench-key-load-bench-key-load-bench-key",
    }
    if not url.startswith("sqlite"):
        pool_size = max(1, min(10, POSTGRES_CONNECTIONS // (5 * workers)))
        env["PREVENT_IG_DATABASE_POOL_SIZE"] = str(pool_size)
        print(f"  (each process's pools hold {pool_size} PostgreSQL connections)")
    app_port, bare_port, floor_port = free_port(), free_port(), free_port()
    app = start(
        [sys.executable, "-m", "prevent_ig", "serve"],
        {**env, "PREVENT_IG_WEB_PORT": str(app_port), "PREVENT_IG_WEB_WORKERS": str(workers)},
        app_port,
    )
    bare = start([sys.executable, "-m", "bench.bare_app", str(bare_port), str(workers)], env, bare_port)
    floor = start([sys.executable, "-m", "bench.floor_app", str(floor_port), str(workers)], env, floor_port)
    headers = {"Authorization": f"Bearer {token}"}

    def app_request(rng: random.Random) -> Request:
        roll = rng.random()
        case_id = rng.randint(1, cases)
        if roll < 0.6:
            return "case view", "GET", f"/api/v1/cases/{case_id}", None
        if roll < 0.8:
            return "due list", "GET", "/api/v1/due?within=10", None
        return (
            "assessment",
            "POST",
            f"/api/v1/cases/{case_id}/decisions",
            {"assessment": ASSESSMENT, "lead_decision": "follow"},
        )

    def bare_request(rng: random.Random) -> Request:
        return "row by id", "GET", f"/row/{rng.randint(1, cases)}", None

    def floor_request(rng: random.Random) -> Request:
        return "audited row", "GET", f"/row/{rng.randint(1, cases)}", None

    sides = [("bare", bare_port, bare_request, None), ("floor", floor_port, floor_request, headers)]
    sides.append(("app", app_port, app_request, headers))

    try:

        async def rounds() -> tuple[dict[str, Timings], dict[str, list[float]]]:
            # Warm up first (connections, compiled-statement caches, every worker process started).
            for _, port, make, side_headers in sides:
                await drive(port, make, clients, args.warm_up, side_headers)
            # Then alternate, so a slow spell of a shared machine falls on all sides alike.
            timings: dict[str, Timings] = {name: {} for name, *_ in sides}
            rates: dict[str, list[float]] = {name: [] for name, *_ in sides}
            share = seconds / args.rounds
            for _ in range(args.rounds):
                for name, port, make, side_headers in sides:
                    round_timings = await drive(port, make, clients, share, side_headers)
                    rates[name].append(count(round_timings) / share)
                    for kind, values in round_timings.items():
                        timings[name].setdefault(kind, []).extend(values)
            return timings, rates

        timings, rates = asyncio.run(rounds())
        report("bare Starlette endpoint", timings["bare"], seconds)
        report("audited floor (API token check, the same row, its audit event)", timings["floor"], seconds)
        report("prevent-ig", timings["app"], seconds)
        for label, over, under, target in (
            ("prevent-ig / bare", "app", "bare", "  (target: at least 0.33)"),
            ("audited floor / bare", "floor", "bare", "  (the most any audited call could reach)"),
            ("prevent-ig / audited floor", "app", "floor", ""),
        ):
            ratios = [a / b for a, b in zip(rates[over], rates[under], strict=True)]
            shown = ", ".join(f"{r:.2f}" for r in ratios)
            print(
                f"  throughput ratio {label}: {statistics.median(ratios):.2f} median of {len(ratios)} "
                f"alternating rounds ({shown}){target}"
            )
    finally:
        for process in (app, bare, floor):
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--workers", type=int, default=1, help="server processes, the same for both")
    parser.add_argument("--warm-up", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of bare and app in --seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            print(f"SQLite, {args.cases:,} cases, {args.clients} clients, {args.seconds:.0f} s each:")
            run(f"sqlite:///{Path(tmp) / 'load.sqlite3'}", args, Path(tmp))
        if args.postgres_url:
            print(f"PostgreSQL, {args.cases:,} cases:")
            run(args.postgres_url, args, Path(tmp))


if __name__ == "__main__":
    main()
