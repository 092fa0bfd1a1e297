"""Reads' audit events are committed in groups, and a group lands whole or fails for every reader in it."""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy import event, func, select

from prevent_ig.adapters.records.database import DatabaseBusyError
from prevent_ig.adapters.records.read_audit import (
    CollectedReads,
    ReadAuditAppender,
    append_collected,
    collecting,
)
from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.services import audit as audit_service
from prevent_ig.services.cases import view_case
from tests.fixtures_db import AUDIT_KEY, Db
from tests.records.helpers import open_case


def described(n: int) -> list[dict[str, object]]:
    return [
        {"actor": "lead.a", "event": "case:record:view", "case_id": None, "entity": f"r{n}", "digest": None}
    ]


def entities(db: Db) -> list[str | None]:
    with db.uow() as uow:
        return list(uow.session.execute(select(AuditEventRow.entity).order_by(AuditEventRow.seq)).scalars())


def event_count(db: Db) -> int:
    with db.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())


def chain_verifies(db: Db) -> bool:
    with db.uow() as uow:
        return audit_service.verify(uow=uow).ok


@contextmanager
def commits_counted(db: Db) -> Iterator[list[int]]:
    counted: list[int] = []

    def count(_connection: object) -> None:
        counted.append(1)

    event.listen(db.engine, "commit", count)
    try:
        yield counted
    finally:
        event.remove(db.engine, "commit", count)


def appender_with_gate(db: Db, gate: Callable[[], AbstractContextManager[object]]) -> ReadAuditAppender:
    return ReadAuditAppender(db.factory, audit_key=AUDIT_KEY, now=db.clock, writer_gate=gate)


def test_reads_finishing_in_one_turn_of_the_loop_share_one_transaction(db: Db) -> None:
    before = event_count(db)

    async def readers() -> None:
        await asyncio.gather(*(db.read_audit.append_soon(described(n)) for n in range(20)))

    with commits_counted(db) as commits:
        asyncio.run(readers())
    assert len(commits) == 1
    assert entities(db)[before:] == [f"r{n}" for n in range(20)]
    assert chain_verifies(db)


def test_threads_arriving_while_a_group_is_written_are_written_together(db: Db) -> None:
    release = threading.Event()
    entered = threading.Event()
    gates_passed: list[int] = []

    @contextmanager
    def slow_first_gate() -> Iterator[None]:
        gates_passed.append(1)
        if len(gates_passed) == 1:
            entered.set()
            release.wait(10)
        with db.gate():
            yield

    appender = appender_with_gate(db, slow_first_gate)
    before = event_count(db)
    first = threading.Thread(target=appender.append, args=(described(0),))
    first.start()
    assert entered.wait(10)
    others = [threading.Thread(target=appender.append, args=(described(n),)) for n in range(1, 9)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while appender.waiting < len(others) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert appender.waiting == len(others)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert len(gates_passed) == 2  # the first reader's transaction, then one for the eight that queued
    assert sorted(entities(db)[before:], key=lambda e: int(str(e)[1:])) == [f"r{n}" for n in range(9)]
    assert chain_verifies(db)


def test_every_reader_of_a_failed_group_gets_the_error_and_nothing_is_written(db: Db) -> None:
    @contextmanager
    def busy_gate() -> Iterator[None]:
        raise DatabaseBusyError("another writer held the database")
        yield  # pragma: no cover - never reached, makes this a generator

    appender = appender_with_gate(db, busy_gate)
    before = event_count(db)

    async def readers() -> list[BaseException | None]:
        return await asyncio.gather(
            *(appender.append_soon(described(n)) for n in range(5)), return_exceptions=True
        )

    outcomes = asyncio.run(readers())
    assert len(outcomes) == 5
    assert all(isinstance(outcome, DatabaseBusyError) for outcome in outcomes)
    with pytest.raises(DatabaseBusyError):
        appender.append(described(9))
    assert event_count(db) == before


def test_a_read_committed_while_collecting_is_written_only_when_the_collection_is_appended(db: Db) -> None:
    case_id = open_case(db)
    before = event_count(db)
    counts: list[int] = []

    async def answer() -> None:
        collected = CollectedReads()
        with collecting(collected), db.uow().reading() as uow:
            view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
        counts.append(event_count(db))  # the caller must not answer yet
        await append_collected(collected)

    asyncio.run(answer())
    assert counts == [before]
    assert event_count(db) == before + 1
    assert chain_verifies(db)


def test_a_unit_of_work_without_a_shared_appender_still_audits_its_reads(db: Db) -> None:
    case_id = open_case(db)
    before = event_count(db)
    with UnitOfWork(db.factory, audit_key=AUDIT_KEY, now=db.clock, writer_gate=db.gate).reading() as uow:
        view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert event_count(db) == before + 1
