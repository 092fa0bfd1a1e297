"""The lists that must stay quick as decisions pile up read their indexes. The schema test cannot see
this: alembic does not compare a partial index's condition, and an index whose condition the query does
not match in the database's own terms is silently never used (SQLite compares a boolean with 1)."""

from typing import Any

import pytest
from sqlalchemy import event

from prevent_ig.services.advice import awaiting_advice
from prevent_ig.services.dashboard import lead_dashboard
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case


def plans(db: Db, use_case: Any) -> list[str]:
    """SQLite's plan for every statement ``use_case`` runs on assessments."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM assessments" in statement and not statement.lstrip().upper().startswith("EXPLAIN"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.uow() as uow:
            use_case(uow)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    with db.engine.connect() as connection:
        return [
            " / ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in seen
        ]


def test_waiting_decisions_and_the_count_by_basis_read_their_indexes(db: Db) -> None:
    if db.backend != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL matches a boolean index condition itself")
    case_id = open_case(db)
    assess_case(db, case_id, ig_advice={"adviser_role": "dpo", "supports_sharing": None})

    queue = plans(db, awaiting_advice)
    board = plans(
        db, lambda uow: lead_dashboard(uow=uow, actor="t", today=TODAY, calendar=db.config.calendar)
    )

    assert len(queue) == 1 and "USING INDEX ix_assessments_awaiting_advice" in queue[0], queue
    assert any("USING COVERING INDEX ix_assessments_basis" in plan for plan in board), board
    assert not any(plan.startswith("SCAN assessments /") or plan == "SCAN assessments" for plan in board), (
        board
    )
