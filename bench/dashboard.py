"""The lead's dashboard and the IG adviser's queue at a small and a large number of recorded decisions,
with the same few waiting for advice in each.

    .venv/bin/python bench/dashboard.py [--small 1000] [--large 50000] [--awaiting 20] [--runs 15]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each decision belongs to a case of its own, as most do; a tenth supersede the decision before them, and
they alternate between sharing on consent and asking for consent first. Timed: the two use cases
(services.dashboard.lead_dashboard, services.advice.advice_queue), each in its unit of work with its
audit event, without HTTP or templates. The queue's work should follow the few waiting decisions; the
dashboard's also counts every standing decision by basis, and cases by stage, so it grows with the
database, and the ratio large / small (the baseline: the same call on the small database, in the same
run) says how fast. SQLite by default; with --postgres-url, two scratch databases on that server
(created and dropped here).
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from sqlalchemy import create_engine, insert, make_url, select, text

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
    """Decisions made by the service once per kind and copied, one per case; ``awaiting`` of them ask
    an IG adviser and await the answer, spread through the table."""
    populate(url, decisions, due=1)
    not_sought = {
        **ASSESSMENT,
        "consent": {"status": "not_sought", "given_by": None, "reason_not_sought": None},
    }
    templates = []
    with _unit_of_work(url)() as uow:
        for case_id, data in ((1, ASSESSMENT), (2, not_sought)):
            made = record_assessment(
                uow=uow,
                actor="bench",
                case_id=case_id,
                assessment_json=json.dumps(data),
                config=EngineConfig(),
                today=TODAY,
                lead_decision=LeadDecision.FOLLOW,
            )
            row = uow.session.get(AssessmentRow, made)
            assert row is not None
            templates.append({c.key: getattr(row, c.key) for c in AssessmentRow.__table__.columns})
    standing = [row_id for row_id in range(3, decisions + 1) if (row_id + 1) % 10 != 0]
    waiting = set(standing[:: max(1, len(standing) // max(1, awaiting))][:awaiting])
    engine = make_engine(url)
    with engine.begin() as connection:
        for start in range(3, decisions + 1, BATCH):
            rows: list[dict[str, Any]] = []
            for row_id in range(start, min(start + BATCH, decisions + 1)):
                template = templates[row_id % 2]
                waits = row_id in waiting
                asks = {**template["input"], "ig_advice": {"adviser_role": "dpo", "supports_sharing": None}}
                supersedes = row_id % 10 == 0  # so rows ending in 9 are superseded, and never wait
                rows.append(
                    {
                        **template,
                        "id": row_id,
                        "case_id": row_id - 1 if supersedes else row_id,
                        "supersedes_id": row_id - 1 if supersedes else None,
                        "input": asks if waits else template["input"],
                        "awaits_advice": waits,
                    }
                )
            connection.execute(insert(AssessmentRow), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # as autovacuum soon would after a load this size
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


@contextmanager
def scratch_database(server_url: str | None, folder: Path, name: str) -> Iterator[str]:
    """A fresh database: a SQLite file in ``folder``, or a database created on the PostgreSQL server
    ``server_url`` names and dropped afterwards."""
    if server_url is None:
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    server = make_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--awaiting", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--postgres-url", default=None, help="a PostgreSQL server to make scratch databases on"
    )
    args = parser.parse_args()
    results = {}
    print("PostgreSQL" if args.postgres_url else "SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        for label, decisions in (("small", args.small), ("large", args.large)):
            with scratch_database(args.postgres_url, Path(tmp), f"bench_dashboard_{label}") as url:
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
