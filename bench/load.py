"""Load: 50 concurrent clients against the app on loopback, beside a bare endpoint, SQLite and PostgreSQL.

    .venv/bin/python bench/load.py [--cases 100000] [--clients 50] [--seconds 20] [--postgres-url URL]

The database is filled with --cases synthetic cases (PostgreSQL only if --postgres-url names an
empty database). The app (one uvicorn process, as `prevent-ig serve` runs it) gets a mix: 60% case
view (GET /api/v1/cases/{id}, audited), 20% due list (GET /api/v1/due), 20% assessment recorded on a
case (POST /api/v1/cases/{id}/decisions, which writes). The baseline is a bare Starlette endpoint
reading one case row by primary key from the same database, under the same clients. Each run is
bounded in time and requests and talks only to 127.0.0.1.

Targets (issue 6): p99 under 100 ms for case view and due list, under 250 ms for an assessment;
throughput at least a third of the bare endpoint's.
"""

import argparse
import asyncio
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

import httpx

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench.due import populate
from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.bootstrap import utc_now
from prevent_ig.domain.access import Role
from prevent_ig.services.api_tokens import create_token

ROOT = Path(__file__).parents[1]
MAX_REQUESTS = 200_000
Request = tuple[str, str, str, object]
ASSESSMENT = {
    "kind": "referral",
    "purpose": "prevent_referral",
    "subject": {"role": "patient", "age": 34, "adult_at_risk": False, "has_capacity": True},
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


async def drive(
    base: str,
    make_request: Callable[[random.Random], Request],
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    stop = time.monotonic() + seconds
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30, headers=headers) as client:

        async def worker(seed: int) -> None:
            nonlocal sent
            rng = random.Random(seed)
            while time.monotonic() < stop and sent < MAX_REQUESTS:
                sent += 1
                kind, method, path, body = make_request(rng)
                begin = time.perf_counter()
                response = await client.request(method, path, json=body)
                elapsed = time.perf_counter() - begin
                if response.status_code >= 500:
                    raise RuntimeError(f"{kind} {path}: {response.status_code}")
                timings.setdefault(kind, []).append(elapsed)

        await asyncio.gather(*(worker(n) for n in range(clients)))
    return timings


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def report(label: str, timings: dict[str, list[float]], seconds: float) -> float:
    total = sum(len(v) for v in timings.values())
    print(f"  {label}: {total / seconds:,.0f} requests/s")
    for kind, values in sorted(timings.items()):
        print(
            f"    {kind:<12} n={len(values):>6}  p50 {percentile(values, 50) * 1000:7.1f} ms  "
            f"p95 {percentile(values, 95) * 1000:7.1f} ms  p99 {percentile(values, 99) * 1000:7.1f} ms"
        )
    return total / seconds


def run(url: str, cases: int, clients: int, seconds: float, data_dir: Path) -> None:
    populate(url, cases, due=200)
    factory = make_session_factory(make_engine(url))
    with UnitOfWork(factory, audit_key=b"load-bench-key-" * 3, now=utc_now) as uow:
        _, token = create_token(uow=uow, actor="bench", service="load bench", role=Role.PREVENT_LEAD, days=1)
    env = {
        "PREVENT_IG_DATABASE_URL": url,
        "PREVENT_IG_DATA_DIR": str(data_dir),
        "PREVENT_IG_AUDIT_KEY": "load-bench-key-load-bench-key-load-bench-key",
    }
    app_port, bare_port = free_port(), free_port()
    app = start(
        [sys.executable, "-m", "prevent_ig", "serve"], {**env, "PREVENT_IG_WEB_PORT": str(app_port)}, app_port
    )
    bare = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.bare_app:create",
            "--port",
            str(bare_port),
            "--log-level",
            "warning",
        ],
        env,
        bare_port,
    )
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

    try:

        async def both() -> tuple[dict[str, list[float]], dict[str, list[float]]]:
            bare_timings = await drive(f"http://127.0.0.1:{bare_port}", bare_request, clients, seconds)
            app_timings = await drive(f"http://127.0.0.1:{app_port}", app_request, clients, seconds, headers)
            return bare_timings, app_timings

        bare_timings, app_timings = asyncio.run(both())
        base_rate = report("bare Starlette endpoint", bare_timings, seconds)
        app_rate = report("prevent-ig", app_timings, seconds)
        print(f"  throughput ratio prevent-ig / bare: {app_rate / base_rate:.2f}  (target: at least 0.33)")
    finally:
        for process in (app, bare):
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite, {args.cases:,} cases, {args.clients} clients, {args.seconds:.0f} s each:")
        run(f"sqlite:///{Path(tmp) / 'load.sqlite3'}", args.cases, args.clients, args.seconds, Path(tmp))
        if args.postgres_url:
            print(f"PostgreSQL, {args.cases:,} cases:")
            run(args.postgres_url, args.cases, args.clients, args.seconds, Path(tmp))


if __name__ == "__main__":
    main()
