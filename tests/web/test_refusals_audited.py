"""A page someone's role does not allow is refused (403) and the refusal is audited, as the API's is.

Without the event, a practitioner trying other people's record notes, partner requests or the audit
trail left no trace; the same attempt through the API leaves ``api:call:refuse``.
"""

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import ProgrammingError

from prevent_ig.adapters.records.database import DatabaseBusyError
from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web import auth as web_auth
from tests.fixtures_db import Db
from tests.records.helpers import open_case
from tests.web.conftest import Browser, make_client

PRACTITIONER = "practitioner.refused"
REFUSED = "/decisions/1/record-note.pdf"
PATIENCE = 0.3
"""Seconds the app under test waits for a busy database before it gives up."""


def events_after(db: Db, seq: int) -> list[Any]:
    with db.uow() as uow:
        return list(
            uow.session.execute(
                select(AuditEventRow.actor, AuditEventRow.event, AuditEventRow.case_id, AuditEventRow.entity)
                .where(AuditEventRow.seq > seq)
                .order_by(AuditEventRow.seq)
            )
        )


def last_seq(db: Db) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(AuditEventRow.seq).order_by(AuditEventRow.seq.desc()).limit(1)) or 0


@pytest.mark.parametrize(
    ("path", "entity", "names_the_case"),
    [
        ("/decisions/1/record-note.pdf", "/decisions/1/record-note.pdf", False),
        ("/requests/1", "/requests/1", False),
        ("/cases/{case_id}/referral", "/cases/{case_id}/referral", True),
        ("/mail", "/mail", False),
        ("/audit/trail?case_id={case_id}", "/audit/trail", False),  # the query string stays out
    ],
)
def test_a_page_the_role_does_not_allow_is_refused_and_the_refusal_audited_once(
    as_role, path: str, entity: str, names_the_case: bool
) -> None:  # type: ignore[no-untyped-def]
    practitioner: Browser = as_role(Role.PRACTITIONER, PRACTITIONER)
    db = practitioner.db
    case_id = open_case(db)
    before = last_seq(db)
    page = practitioner.client.get(path.format(case_id=case_id), follow_redirects=False)
    assert page.status_code == 403
    assert "You cannot see this page" in page.text
    refusals = [event for event in events_after(db, before) if event.event == "web:page:refuse"]
    assert refusals == [
        (PRACTITIONER, "web:page:refuse", case_id if names_the_case else None, entity.format(case_id=case_id))
    ]


def test_a_page_the_role_allows_leaves_no_refusal(as_role) -> None:  # type: ignore[no-untyped-def]
    practitioner: Browser = as_role(Role.PRACTITIONER, PRACTITIONER)
    db = practitioner.db
    before = last_seq(db)
    assert practitioner.client.get("/", follow_redirects=False).status_code == 200
    assert [event for event in events_after(db, before) if event.event == "web:page:refuse"] == []


def test_only_record_ids_from_the_path_reach_the_audit_log(as_role) -> None:  # type: ignore[no-untyped-def]
    """The permission is checked before the path's parameters are read, so one can hold any text."""
    practitioner: Browser = as_role(Role.PRACTITIONER, PRACTITIONER)
    db = practitioner.db
    before = last_seq(db)
    page = practitioner.client.get("/cases/Jo%20Testperson/referral", follow_redirects=False)
    assert page.status_code == 403
    assert [e for e in events_after(db, before) if e.event == "web:page:refuse"] == [
        (PRACTITIONER, "web:page:refuse", None, "/cases/{case_id}/referral")
    ]


def refused_while_the_database_is_busy(practitioner: Browser, monkeypatch: pytest.MonkeyPatch) -> Any:
    """GET a refused page while the database cannot take the refusal's audit event.

    On PostgreSQL another session holds the audit chain's lock. On SQLite every writing unit of work
    waits for the one write lock, the session lookup before the guard included, so the same fault is
    put where the refusal is written."""
    db = practitioner.db
    if db.backend == "sqlite":
        monkeypatch.setattr(web_auth, "_record_refusal", fail_with(DatabaseBusyError()))
        return practitioner.client.get(REFUSED, follow_redirects=False)
    quick = db.impatient(PATIENCE)
    client = make_client(quick)
    client.cookies = practitioner.client.cookies  # the same session, served by an app that gives up soon
    try:
        with db.write_lock_held():
            return client.get(REFUSED, follow_redirects=False)
    finally:
        client.close()
        quick.close()


def fail_with(error: Exception) -> Callable[..., None]:
    def fail(*_arguments: object) -> None:
        raise error

    return fail


def test_a_refusal_the_busy_database_cannot_audit_is_still_a_403_and_is_logged(
    as_role, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    practitioner: Browser = as_role(Role.PRACTITIONER, PRACTITIONER)
    before = last_seq(practitioner.db)
    with caplog.at_level(logging.WARNING):
        page = refused_while_the_database_is_busy(practitioner, monkeypatch)
    assert page.status_code == 403
    assert "You cannot see this page" in page.text
    [logged] = [r for r in caplog.records if f"the audit of a refused GET {REFUSED}" in r.getMessage()]
    assert logged.levelno == logging.WARNING
    assert events_after(practitioner.db, before) == []


def test_a_refusal_a_database_fault_keeps_from_the_audit_is_still_a_403_and_logged_as_an_error(
    as_role, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    practitioner: Browser = as_role(Role.PRACTITIONER, PRACTITIONER)
    fault = ProgrammingError("INSERT INTO audit_events ...", {}, Exception("no such table"))
    monkeypatch.setattr(web_auth, "_record_refusal", fail_with(fault))
    with caplog.at_level(logging.WARNING):
        page = practitioner.client.get(REFUSED, follow_redirects=False)
    assert page.status_code == 403
    [logged] = [r for r in caplog.records if f"the audit of a refused GET {REFUSED}" in r.getMessage()]
    assert logged.levelno == logging.ERROR
