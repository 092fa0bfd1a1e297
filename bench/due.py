"""`cases due` at 10,000 and at 1,000,000 cases, with the same number of due items in each.

    .venv/bin/python bench/due.py [--small 10000] [--large 1000000] [--due 200] [--database-url-prefix URL]

Each database holds the given number of cases, of which only ``--due`` cases and ``--due`` partner
requests fall due inside the window; the rest have no deadline or one far in the future. If the due list
is answered by indexed range queries its time barely changes with the number of cases; a table scan
would grow a hundredfold. Target (issue 3): the large within 2 times the small.
"""

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.tables import CaseRow, PartnerRequestRow, SubjectRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.services.cases import due_items

TODAY = date(2026, 11, 26)
BATCH = 20_000
NOW = datetime(2026, 11, 26, 9, 0)


DATE_OF_BIRTH = date(1990, 1, 1)
"""Every synthetic subject's: an assessment's answers must give the age it makes them (bench/load.py)."""


def populate(url: str, cases: int, due: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        for start in range(1, cases + 1, BATCH):
            ids = range(start, min(start + BATCH, cases + 1))
            connection.execute(
                insert(SubjectRow),
                [
                    {
                        "id": i,
                        "role": "patient",
                        "nhs_number": None,
                        "given_name": "Synthetic",
                        "family_name": f"Person{i}",
                        "date_of_birth": DATE_OF_BIRTH,
                        "address": "Synthetic",
                        "adult_at_risk": False,
                        "has_capacity": True,
                        "capacity_assessed_on": None,
                        "created_at": NOW,
                    }
                    for i in ids
                ],
            )
            connection.execute(insert(CaseRow), [_case(i, due) for i in ids])
        connection.execute(
            insert(PartnerRequestRow),
            [
                {
                    "case_id": i,
                    "organisation": "Synthetic Council",
                    "person": "A",
                    "role": "B",
                    "email": "x@synthetic.gov.uk",
                    "recipient_type": "channel_panel",
                    "purpose": "channel_information_gathering",
                    "received_on": TODAY - timedelta(days=i % 10),
                    "items_requested": [],
                    "proforma": True,
                    "secure_channel": True,
                    "consent_position_stated": True,
                    "reason_given": True,
                    "specific": True,
                    "legal_powers_cited": [],
                    "due_on": TODAY + timedelta(days=i % 10 - 5),
                    "status": "open",
                    "answered_on": None,
                }
                for i in range(1, due + 1)
            ],
        )
    engine.dispose()


def _case(i: int, due: int) -> dict[str, object]:
    in_window = i <= due
    far = i % 2 == 0
    return {
        "id": i,
        "subject_id": i,
        "owner": "lead",
        "raised_by": "clinician",
        "concern": "Synthetic",
        "stage": "closed" if in_window or far else "referred",
        "opened_on": TODAY - timedelta(days=400),
        "closed_on": None,
        "closure": None,
        "exit_reason": None,
        "information_request_on": None,
        "information_due_on": None,
        "review_6_due_on": None,
        "review_12_due_on": None,
        "next_due_on": TODAY + timedelta(days=i % 10 - 5)
        if in_window
        else (date(2031, 1, 1) if far else None),
        "next_due_kind": "review_6_months" if in_window or far else None,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def measure(url: str, runs: int) -> tuple[float, int]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    calendar = WorkingDayCalendar()
    timings, found = [], 0
    for _ in range(runs):
        with UnitOfWork(factory, audit_key=b"bench-key-" * 4, now=lambda: NOW) as uow:
            start = time.perf_counter()
            items = due_items(uow=uow, actor="bench", today=TODAY, within_working_days=10, calendar=calendar)
            timings.append(time.perf_counter() - start)
            found = len(items)
    engine.dispose()
    return statistics.median(timings), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, cases in (("small", args.small), ("large", args.large)):
            url = f"sqlite:///{Path(tmp) / f'due-{cases}.sqlite3'}"
            started = time.perf_counter()
            populate(url, cases, args.due)
            print(f"{label}: {cases:,} cases loaded in {time.perf_counter() - started:.1f} s")
            results[label] = measure(url, args.runs)
    (small, n_small), (large, n_large) = results["small"], results["large"]
    print(f"cases due at {args.small:>9,} cases: {small * 1000:7.2f} ms median, {n_small} items")
    print(f"cases due at {args.large:>9,} cases: {large * 1000:7.2f} ms median, {n_large} items")
    print(f"large / small: {large / small:.2f}x  (target: at most 2x)")


if __name__ == "__main__":
    main()
