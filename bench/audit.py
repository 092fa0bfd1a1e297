"""Audit-chain verification rate against a bare hashing baseline, in the same run.

    .venv/bin/python bench/audit.py [--events 1000000] [--database-url URL]

Builds a valid chain of N events in a fresh database (a temporary SQLite file by default, or the
PostgreSQL database given, which must be empty of prevent-ig tables), then measures:

- baseline: read the same rows from the same database in order, build each event's canonical bytes
  and make one ``hashlib.sha256`` call per event;
- verify: ``prevent-ig``'s own verification (sequence, link and hash checks) over the same rows.

Target (issue 3): verification at least half the baseline's rate.
"""

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.audit_log import READ_BATCH, stream_events
from prevent_ig.adapters.records.database import make_engine, make_session_factory
from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.records.audit_chain import GENESIS_HASH, canonical_bytes, event_hash, verify_chain

BATCH = 20_000
EVENTS = ("case:record:view", "case:record:create", "case:stage:change", "case:assessment:create")


def build(url: str, count: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    prev = GENESIS_HASH
    rows = []
    with engine.begin() as connection:
        for seq in range(1, count + 1):
            fields = {
                "seq": seq,
                "at": f"2026-11-26T09:{seq // 1_000_000 % 60:02d}:00.{seq % 1_000_000:06d}Z",
                "actor": f"user.{seq % 97}",
                "event": EVENTS[seq % len(EVENTS)],
                "case_id": seq % 50_000,
                "entity": f"case:{seq % 50_000}",
                "digest": hashlib.sha256(str(seq).encode()).hexdigest() if seq % 3 else None,
                "prev_hash": prev,
            }
            prev = event_hash(**fields)  # type: ignore[arg-type]
            rows.append({**fields, "hash": prev})
            if len(rows) == BATCH:
                connection.execute(insert(AuditEventRow), rows)
                rows = []
        if rows:
            connection.execute(insert(AuditEventRow), rows)
    engine.dispose()


def baseline(url: str) -> tuple[float, int]:
    engine = make_engine(url)
    session = make_session_factory(engine)()
    statement = select(
        AuditEventRow.seq,
        AuditEventRow.at,
        AuditEventRow.actor,
        AuditEventRow.event,
        AuditEventRow.case_id,
        AuditEventRow.entity,
        AuditEventRow.digest,
        AuditEventRow.prev_hash,
        AuditEventRow.hash,
    ).order_by(AuditEventRow.seq)
    start = time.perf_counter()
    count = 0
    for row in session.execute(statement.execution_options(yield_per=READ_BATCH)):
        fields = {
            "seq": row.seq,
            "at": row.at,
            "actor": row.actor,
            "event": row.event,
            "case_id": row.case_id,
            "entity": row.entity,
            "digest": row.digest,
            "prev_hash": row.prev_hash,
        }
        hashlib.sha256(canonical_bytes(fields)).hexdigest()
        count += 1
    elapsed = time.perf_counter() - start
    session.close()
    engine.dispose()
    return elapsed, count


def verify(url: str) -> tuple[float, int]:
    engine = make_engine(url)
    session = make_session_factory(engine)()
    start = time.perf_counter()
    result = verify_chain(stream_events(session))
    elapsed = time.perf_counter() - start
    session.close()
    engine.dispose()
    if not result.ok:
        sys.exit(f"the generated chain failed to verify: {result}")
    return elapsed, result.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'audit-bench.sqlite3'}"
        started = time.perf_counter()
        build(url, args.events)
        print(
            f"built a chain of {args.events:,} events in {time.perf_counter() - started:.1f} s "
            f"({url.split(':')[0]})"
        )
        base = min(baseline(url)[0] for _ in range(args.repeat))
        ours = min(verify(url)[0] for _ in range(args.repeat))
    print(f"baseline (read + canonical bytes + sha256): {args.events / base:>12,.0f} events/s ({base:.2f} s)")
    print(f"prevent-ig audit verify:                    {args.events / ours:>12,.0f} events/s ({ours:.2f} s)")
    print(f"verify rate / baseline rate: {base / ours:.2f}  (target: at least 0.50)")


if __name__ == "__main__":
    main()
