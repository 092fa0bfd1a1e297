"""A unit of work that only reads still leaves its audit events, appended when it commits."""

import fcntl
import os
import sqlite3
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from prevent_ig.adapters.records.database import DatabaseBusyError, SqliteWriterGate, make_engine, writer_gate
from prevent_ig.adapters.records.tables import AuditEventRow, CaseRow
from prevent_ig.domain.access import Role
from prevent_ig.services import audit as audit_service
from prevent_ig.services.cases import raise_concern, view_case
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import gate_held_by_another_thread, new_subject, open_case


def events(db: Db) -> list[tuple[str, int | None]]:
    with db.uow() as uow:
        return [
            (row.event, row.case_id)
            for row in uow.session.execute(select(AuditEventRow).order_by(AuditEventRow.seq)).scalars()
        ]


def test_a_read_is_audited_when_the_reading_unit_of_work_commits(db: Db) -> None:
    case_id = open_case(db)
    before = events(db)
    with db.uow().reading() as uow:
        detail = view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert detail.id == case_id
    assert events(db) == [*before, ("case:record:view", case_id)]
    with db.uow() as uow:
        assert audit_service.verify(uow=uow).ok


def test_a_reading_unit_of_work_left_without_commit_appends_nothing(db: Db) -> None:
    case_id = open_case(db)
    before = events(db)
    with db.uow().reading() as uow:
        uow.audit.record(actor="lead.a", event="case:record:view", case_id=case_id)
        assert uow.audit.pending
    assert events(db) == before


def test_a_reading_unit_of_work_that_recorded_nothing_writes_nothing(db: Db) -> None:
    open_case(db)
    with db.uow() as uow:
        head = audit_service.chain_head(uow=uow)
    with db.uow().reading() as uow:
        uow.commit()
    with db.uow() as uow:
        assert audit_service.chain_head(uow=uow) == head


def test_events_of_several_reads_chain_in_order(db: Db) -> None:
    case_ids = [open_case(db) for _ in range(3)]
    before = events(db)
    for case_id in case_ids:
        with db.uow().reading() as uow:
            view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert events(db) == [*before, *(("case:record:view", c) for c in case_ids)]
    with db.uow() as uow:
        assert audit_service.verify(uow=uow).ok


def _locked_elsewhere(lock_path: Path) -> bool:
    """Whether another open file (as another process would hold) cannot take the lock now."""
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)


def test_the_writer_gate_excludes_other_processes_until_the_outermost_exit(tmp_path: Path) -> None:
    lock_path = tmp_path / "db.sqlite3.writer-lock"
    gate = SqliteWriterGate(lock_path)
    assert not _locked_elsewhere(lock_path)
    with gate():
        assert _locked_elsewhere(lock_path)
        with gate():  # re-entrant within a thread
            assert _locked_elsewhere(lock_path)
        assert _locked_elsewhere(lock_path)
    assert not _locked_elsewhere(lock_path)


def test_the_writer_gate_lets_one_thread_in_at_a_time(tmp_path: Path) -> None:
    gate = SqliteWriterGate(tmp_path / "db.sqlite3.writer-lock")
    order: list[str] = []

    def second() -> None:
        with gate():
            order.append("second enters")

    with gate():
        order.append("first enters")
        other = threading.Thread(target=second)
        other.start()
        time.sleep(0.2)  # room for the second thread to get in, if the gate let it
        order.append("first leaves")
    other.join(10)
    assert order == ["first enters", "first leaves", "second enters"]


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "postgresql+psycopg://u@h/d"])
def test_databases_without_a_file_pass_no_gate(url: str) -> None:
    # PostgreSQL orders writers with row and advisory locks; an in-memory SQLite has one connection.
    assert writer_gate(url) is nullcontext


def test_each_sqlite_file_has_one_gate_in_a_process(tmp_path: Path) -> None:
    first = writer_gate(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert isinstance(first, SqliteWriterGate)
    assert writer_gate(f"sqlite:///{tmp_path / 'a.sqlite3'}") is first
    assert writer_gate(f"sqlite:///{tmp_path / 'b.sqlite3'}") is not first


def test_the_writer_gate_gives_up_after_its_timeout_when_another_process_holds_it(tmp_path: Path) -> None:
    lock_path = tmp_path / "db.sqlite3.writer-lock"
    gate = SqliteWriterGate(lock_path, timeout=0.2)
    other = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)  # as another process would hold it
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        with pytest.raises(DatabaseBusyError, match="another process"), gate():
            pass
    finally:
        os.close(other)
    with gate():  # free again: it goes in, and lets go afterwards
        assert _locked_elsewhere(lock_path)
    assert not _locked_elsewhere(lock_path)


def test_the_writer_gate_gives_up_after_its_timeout_when_another_thread_holds_it(tmp_path: Path) -> None:
    gate = SqliteWriterGate(tmp_path / "db.sqlite3.writer-lock", timeout=0.2)
    with gate_held_by_another_thread(gate), pytest.raises(DatabaseBusyError, match="this process"), gate():
        pass


def test_a_write_strayed_into_a_reading_unit_of_work_never_lands(db: Db) -> None:
    # On PostgreSQL reads run in autocommit on connections the server holds read-only
    # (database.make_read_engine), so the server itself refuses the write; on SQLite the read's
    # transaction is rolled back. Either way nothing is written.
    case_id = open_case(db)
    with (
        pytest.raises(DBAPIError) if db.backend == "postgresql" else nullcontext(),
        db.uow().reading() as uow,
    ):
        uow.session.execute(update(CaseRow).where(CaseRow.id == case_id).values(owner="stray.write"))
        uow.commit()
    with db.uow() as uow:
        assert uow.session.get_one(CaseRow, case_id).owner != "stray.write"


def test_what_a_use_case_wrote_is_still_in_hand_after_it_commits_and_returns_only_the_id(db: Db) -> None:
    """An API answer built from the row just committed must not cost a second transaction (on SQLite
    it would take the write lock again) nor a second read of the row."""
    statements: list[str] = []

    def note(_connection: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    with db.uow() as uow:
        case_id = raise_concern(  # adds the rows, commits, and hands back only the id
            uow=uow,
            actor="clinician.a",
            subject=new_subject(),
            concern="Synthetic concern noticed in clinic.",
            owner="lead.a",
            on=TODAY,
        )
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            case = uow.session.get(CaseRow, case_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert case is not None and case.id == case_id
    assert statements == []


def test_a_transaction_the_locked_file_refuses_to_begin_raises_sqlalchemys_error(tmp_path: Path) -> None:
    """Callers wait out an outage by catching SQLAlchemy's ``OperationalError`` (the mail worker
    does): a ``BEGIN IMMEDIATE`` refused by a file another program holds must raise that, not the
    driver's own error."""
    path = tmp_path / "locked.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        with engine.connect() as connection:  # the pool's one connection, told to give up quickly
            connection.connection.driver_connection.execute("PRAGMA busy_timeout=50")
            connection.rollback()
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="locked"), engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        holder.close()
        engine.dispose()
