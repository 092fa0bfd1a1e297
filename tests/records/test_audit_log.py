"""The audit log: append-only, hash-chained, verifiable offline; tampering is detected and located."""

import json
import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from prevent_ig.domain.records.audit_chain import (
    GENESIS_HASH,
    Anchor,
    event_hash,
    events_from_json_lines,
    verify_chain,
)
from prevent_ig.services import audit as audit_service
from tests.fixtures_db import AUDIT_KEY, Db
from tests.records.helpers import open_case


def history(db: Db, cases: int = 3) -> int:
    for _ in range(cases):
        open_case(db)
    with db.uow() as uow:
        return audit_service.chain_head(uow=uow)[0]


def verify(db: Db, anchor: Anchor | None = None):  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        return audit_service.verify(uow=uow, anchor=anchor)


def disable_protection(db: Db) -> None:
    """What someone with direct database access could do before tampering."""
    if db.backend == "postgresql":
        db.admin_execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    else:
        db.admin_execute("DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete")


def test_first_event_chains_from_the_documented_genesis(db: Db) -> None:
    history(db, 1)
    with db.uow() as uow:
        first = uow.session.execute(text("SELECT prev_hash FROM audit_events WHERE seq = 1")).scalar_one()
    assert first == GENESIS_HASH
    assert (
        first == "789d22186d193c7319c99f577b2a1aefbfccb86244a9105168e91d76df767570"
    )  # documented in docs/audit.md
    assert verify(db).ok


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"])
def test_the_table_refuses_updates_and_deletes(db: Db, statement: str) -> None:
    history(db, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        db.admin_execute(statement)
    assert verify(db).ok


def test_postgresql_refuses_truncate(db: Db) -> None:
    if db.backend != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    history(db, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        db.admin_execute("TRUNCATE audit_events")


def test_one_changed_byte_is_detected_at_that_event(db: Db) -> None:
    count = history(db)
    disable_protection(db)
    db.admin_execute("UPDATE audit_events SET actor = 'clinician.b' WHERE seq = 3")
    result = verify(db)
    assert not result.ok
    assert result.first_broken_seq == 3
    assert "altered" in (result.problem or "")
    assert count == 6


def test_a_deleted_event_is_detected_where_the_gap_is(db: Db) -> None:
    history(db)
    disable_protection(db)
    db.admin_execute("DELETE FROM audit_events WHERE seq = 4")
    result = verify(db)
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert "missing or out of order" in (result.problem or "")


def test_two_reordered_events_are_detected(db: Db) -> None:
    history(db)
    disable_protection(db)
    db.admin_execute(
        "UPDATE audit_events SET seq = -2 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = -2",
    )
    result = verify(db)
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert "does not link" in (result.problem or "")


def test_a_fully_rewritten_chain_passes_alone_but_fails_against_an_anchor(db: Db) -> None:
    count = history(db)
    with db.uow() as uow:
        seq, head = audit_service.chain_head(uow=uow)
    anchor = Anchor(hash=head, count=seq)
    disable_protection(db)
    # The attacker changes event 2 and recomputes every hash after it.
    with db.engine.begin() as connection:
        rows = connection.execute(
            text("SELECT seq, at, actor, event, case_id, entity, digest FROM audit_events ORDER BY seq")
        ).all()
        connection.execute(text("DELETE FROM audit_events"))
        prev = GENESIS_HASH
        for row in rows:
            fields = dict(row._mapping)
            if fields["seq"] == 2:
                fields["actor"] = "someone.else"
            new = event_hash(**fields, prev_hash=prev)
            connection.execute(
                text(
                    "INSERT INTO audit_events (seq, at, actor, event, case_id, entity, digest, "
                    "prev_hash, hash) VALUES (:seq, :at, :actor, :event, :case_id, :entity, "
                    ":digest, :prev_hash, :hash)"
                ),
                {**fields, "prev_hash": prev, "hash": new},
            )
            prev = new
    assert verify(db).ok
    result = verify(db, anchor)
    assert not result.ok
    assert result.first_broken_seq == count
    assert "anchor" in (result.problem or "")


def test_truncating_the_end_is_detected_against_an_anchor(db: Db) -> None:
    count = history(db)
    with db.uow() as uow:
        _, head = audit_service.chain_head(uow=uow)
    disable_protection(db)
    db.admin_execute(f"DELETE FROM audit_events WHERE seq = {count}")
    assert verify(db).ok
    result = verify(db, Anchor(hash=head, count=count))
    assert not result.ok
    assert "missing" in (result.problem or "")


def test_export_verifies_offline_and_a_flipped_byte_in_the_file_is_found(db: Db, tmp_path: Path) -> None:
    history(db)
    path = tmp_path / "audit.jsonl"
    with db.uow() as uow:
        written = audit_service.export(uow=uow, path=path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert written == len(lines) == 6
    assert verify_chain(events_from_json_lines(lines)).ok
    tampered = json.loads(lines[1])
    tampered["event"] = tampered["event"].replace("create", "creatE")
    lines[1] = json.dumps(tampered)
    result = verify_chain(events_from_json_lines(lines))
    assert (result.ok, result.first_broken_seq) == (False, 2)


def _append_many(url: str, backend: str, n: int) -> None:
    from prevent_ig.domain.config import EngineConfig  # noqa: PLC0415
    from tests.fixtures_db import Clock, Db  # noqa: PLC0415 - runs in a child process

    db = Db(url=url, backend=backend, clock=Clock(), config=EngineConfig())
    for _ in range(n):
        with db.uow() as uow:
            uow.audit.record(actor="worker", event="case:record:view", case_id=1)
            uow.commit()


def test_concurrent_processes_never_fork_the_chain(db: Db) -> None:
    per_worker = 40
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(db.url, db.backend, per_worker)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    result = verify(db)
    assert result.ok
    assert result.count == 3 * per_worker


def test_digests_are_keyed(db: Db) -> None:
    """Without the key, a digest cannot be recomputed from a guessed value."""
    from prevent_ig.domain.records.audit_chain import change_digest  # noqa: PLC0415

    guess = {"nhs_number": "9990000018"}
    assert change_digest(AUDIT_KEY, guess) != change_digest(b"another key of the same length....", guess)


def test_a_reading_unit_of_work_takes_no_write_lock_on_sqlite(db: Db) -> None:
    if db.backend != "sqlite":
        pytest.skip("BEGIN DEFERRED versus IMMEDIATE is SQLite's")
    history(db, 1)
    with db.uow() as writer:
        writer.audit.record(actor="writer", event="case:record:view")  # holds the write lock, uncommitted
        with db.uow().reading() as reader:
            assert reader.session.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 2
        writer.commit()
