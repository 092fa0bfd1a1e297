"""How long Python's garbage collector stops the app, built as `prevent-ig serve` builds it and not.

    .venv/bin/python bench/gc_pauses.py [--cases 20000] [--calls 3000] [--rounds 3]

bench/load.py's mix of API calls (60% case view, 20% due list, 20% assessment) is run in-process
through the app, as bench/per_call.py runs it, in a fresh process per side and round:

- "plain": the app from ``create_app``, every object left to the collector, as in a plain process;
- "served": the app from ``app_from_environment``, which is how ``prevent-ig serve`` builds each
  worker: it freezes the objects alive after start-up (src/prevent_ig/entrypoints/web/memory.py).

Each side warms up with --warm-up calls of the mix (a worker that has served for a few seconds), then
every collection during --calls more is timed through ``gc.callbacks``. Printed per side: the full
(oldest-generation) collections, their median, longest and total pause, and all collections' time per
call. A full collection stops every request in flight, so its longest pause lands on the tail
latency bench/load.py reports; the ratio of the two sides' longest pauses is the figure to judge by.
The sides alternate, so a slow spell falls on both alike. A temporary SQLite file holds the data.
"""

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench.per_call import MIX, app_calls, prepared, run_calls
from prevent_ig.bootstrap import build_records
from prevent_ig.entrypoints.web.app import app_from_environment, create_app
from prevent_ig.settings import WebSettings

OLDEST = 2
Collections = list[tuple[int, float]]
"""Each collection's generation and seconds."""
SIDES = {"plain": "start-up objects collected", "served": "as served (start-up objects frozen)"}


def one_side(side: str, cases: int, count: int, warm_up: int, token: str, seed: int) -> Collections:
    """In this process: build the app as ``side`` says, warm it up, then time every collection."""
    if side == "served":
        app = app_from_environment()
    else:
        app = create_app(records=build_records(), web=WebSettings())
    # Only the app's calls: the bench's other apps would add objects of their own to the collector's walk.
    calls = {call.kind: call for call in app_calls(cases, app)}
    collections: Collections = []
    began = [0.0]

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            collections.append((info["generation"], time.perf_counter() - began[0]))

    async def mix(calls_to_make: int, seed: int) -> None:
        rng = random.Random(seed)
        for number in range(calls_to_make):
            kind = rng.choices(list(MIX), list(MIX.values()))[0]
            await run_calls(calls[kind], token, 1, seed=seed * calls_to_make + number)

    async def run() -> None:
        await mix(warm_up, seed=0)
        gc.callbacks.append(timed)
        await mix(count, seed)
        gc.callbacks.remove(timed)

    asyncio.run(run())
    return collections


def summary(label: str, runs: list[Collections], calls: int) -> float:
    full = [seconds for run in runs for generation, seconds in run if generation == OLDEST]
    every = sum(seconds for run in runs for _, seconds in run)
    longest = max(full, default=0.0)
    median = statistics.median(full) if full else 0.0
    print(
        f"  {label:<36} {len(full):3d} full collections, median {median * 1000:5.1f} ms, "
        f"longest {longest * 1000:5.1f} ms, "
        f"total {sum(full) * 1000:7.1f} ms; all collections {every / (calls * len(runs)) * 1e6:5.1f} µs "
        "per call"
    )
    return longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=3_000, help="calls of the mix per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm-up", type=int, default=1_000, help="calls of the mix before timing")
    parser.add_argument("--side", choices=list(SIDES), help=argparse.SUPPRESS)  # one side, in a child
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(one_side(args.side, args.cases, args.calls, args.warm_up, args.token, args.seed)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        token = prepared(f"sqlite:///{Path(tmp) / 'gc.sqlite3'}", args.cases, Path(tmp))
        runs: dict[str, list[Collections]] = {side: [] for side in SIDES}
        for number in range(args.rounds):
            for side in SIDES:
                child = [sys.executable, __file__, "--side", side, "--token", token]
                child += ["--cases", str(args.cases), "--calls", str(args.calls)]
                child += ["--warm-up", str(args.warm_up), "--seed", str(number + 1)]
                out = subprocess.run(child, env=os.environ, check=True, capture_output=True, text=True).stdout
                runs[side].append([(generation, seconds) for generation, seconds in json.loads(out)])
    print(
        f"SQLite, {args.cases:,} cases, {args.calls:,} calls of the load mix per side in each of "
        f"{args.rounds} rounds:"
    )
    plain = summary(SIDES["plain"], runs["plain"], args.calls)
    served = summary(SIDES["served"], runs["served"], args.calls)
    if plain:
        print(f"  longest full-collection pause, served / plain: {served / plain:.3f}")


if __name__ == "__main__":
    main()
