"""The lead's dashboard and the IG adviser's queue at a small and a large number of recorded decisions,
with the same few waiting for advice in each.

    .venv/bin/python bench/dashboard.py [--small 1000] [--large 50000] [--awaiting 20] [--runs 15]

Both pages show a handful of decisions waiting for advice and a count of decisions by basis. If the
database picks out the waiting ones and counts the bases itself, the pages' time grows with the number
of decisions only through that count; loading every decision into Python, as they did before, grows
with every decision's whole input and output. Reported: each page's median time at both sizes and the
ratio large / small (the baseline is the same page on the small database, in the same run).
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from sqlalchemy import insert, select

from bench.due import NOW, TODAY, populate
from bench.load import ASSESSMENT
from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.tables import AssessmentRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.config import EngineConfig
from prevent_ig.services.advice import advice_queue
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.dashboard import lead_dashboard

KEY = b"bench-key-" * 4
BATCH = 10_000


def _unit_of_work(url: str) -> Callable[[], UnitOfWork]:
    factory = make_session_factory(make_engine(url))
    return lambda: UnitOfWork(factory, audit_key=KEY, now=lambda: NOW)


def populate_decisions(url: str, decisions: int, awaiting: int) -> None:
    """One decision per case, made by the service once and copied; every so often one whose input asks
    an IG adviser and awaits the answer, ``awaiting`` in all."""
    populate(url, decisions, due=1)
    with _unit_of_work(url)() as uow:
        first = record_assessment(
            uow=uow,
            actor="bench",
            case_id=1,
            assessment_json=json.dumps(ASSESSMENT),
            config=EngineConfig(),
            today=TODAY,
            lead_decision=LeadDecision.FOLLOW,
        )
        row = uow.session.get(AssessmentRow, first)
        assert row is not None
        template = {c.key: getattr(row, c.key) for c in AssessmentRow.__table__.columns if c.key != "id"}
    asking = {**template["input"], "ig_advice": {"adviser_role": "dpo", "supports_sharing": None}}
    every = max(1, (decisions - 1) // max(1, awaiting))
    engine = make_engine(url)
    with engine.begin() as connection:
        for start in range(2, decisions + 1, BATCH):
            rows: list[dict[str, Any]] = []
            for case_id in range(start, min(start + BATCH, decisions + 1)):
                waits = (case_id - 2) % every == 0 and (case_id - 2) // every < awaiting
                rows.append({**template, "case_id": case_id, "input": asking if waits else template["input"]})
            connection.execute(insert(AssessmentRow), rows)
    engine.dispose()


def median_ms(call: Callable[[UnitOfWork], object], new_uow: Callable[[], UnitOfWork], runs: int) -> float:
    timings = []
    for _ in range(runs):
        with new_uow() as uow:
            start = time.perf_counter()
            call(uow)
            timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def measure(url: str, runs: int) -> dict[str, tuple[float, int]]:
    new_uow = _unit_of_work(url)
    calendar = WorkingDayCalendar()

    def dashboard(uow: UnitOfWork) -> object:
        return lead_dashboard(uow=uow, actor="bench", today=TODAY, calendar=calendar)

    def queue(uow: UnitOfWork) -> object:
        return advice_queue(uow=uow, actor="bench")

    with new_uow() as uow:
        waiting = len(advice_queue(uow=uow, actor="bench"))
        decisions = len(uow.session.scalars(select(AssessmentRow.id)).all())
    return {
        "dashboard": (median_ms(dashboard, new_uow, runs), decisions),
        "advice queue": (median_ms(queue, new_uow, runs), waiting),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--awaiting", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, decisions in (("small", args.small), ("large", args.large)):
            url = f"sqlite:///{Path(tmp) / f'dashboard-{decisions}.sqlite3'}"
            started = time.perf_counter()
            populate_decisions(url, decisions, args.awaiting)
            print(f"{label}: {decisions:,} decisions loaded in {time.perf_counter() - started:.1f} s")
            results[label] = measure(url, args.runs)
    for page in ("dashboard", "advice queue"):
        (small, n_small), (large, n_large) = results["small"][page], results["large"][page]
        shown = "decisions" if page == "dashboard" else "waiting"
        print(f"{page:<13} small: {small:8.2f} ms median ({n_small:,} {shown})")
        ratio = large / small
        print(f"{page:<13} large: {large:8.2f} ms median ({n_large:,} {shown})  large / small: {ratio:.1f}x")


if __name__ == "__main__":
    main()
