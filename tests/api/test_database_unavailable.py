"""A database that cannot take a call just now gets a 503 with Retry-After (a page on the web, exit 75
on the command line), never a 500 or a traceback; nothing is written and no case data leaves; and
once the database is free again the same calls succeed. The faults are real: another program holding
the write lock, a PostgreSQL server refusing connections, a server that is down."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from prevent_ig.adapters.records.tables import AssessmentRow, AuditEventRow
from prevent_ig.domain.access import Role
from prevent_ig.services import audit as audit_service
from tests.api.test_api import CASE
from tests.builders import input_data
from tests.fixtures_db import PG_URL, Db
from tests.ports import free_port
from tests.web.conftest import Browser, make_client

PATIENCE = 0.3
"""Seconds the app under test waits for the database before it gives up (the app's default is 30)."""


@pytest.fixture
def impatient(db: Db) -> Iterator[TestClient]:
    """The app over the same database, giving up after PATIENCE seconds."""
    quick = db.impatient(PATIENCE)
    client = make_client(quick)
    yield client
    client.close()
    quick.close()


def counts(db: Db) -> tuple[int, int]:
    with db.uow() as uow:
        decisions = uow.session.scalar(select(func.count()).select_from(AssessmentRow)) or 0
        events = uow.session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
    return decisions, events


def assert_unavailable_problem(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"].endswith("/database-unavailable")


def test_a_held_write_lock_gives_503_writes_nothing_and_shows_no_case_then_calls_succeed(
    api: TestClient, impatient: TestClient, auth, db: Db
) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]  # also notes the token's use
    decision = {"assessment": input_data(), "lead_decision": "follow"}
    before = counts(db)
    with db.write_lock_held():
        written = impatient.post(f"/api/v1/cases/{case_id}/decisions", json=decision, headers=lead)
        read = impatient.get(f"/api/v1/cases/{case_id}", headers=lead)
    assert_unavailable_problem(written)
    assert_unavailable_problem(read)
    assert "Testperson" not in read.text  # the read's audit event could not land, so its data stays in
    assert counts(db) == before
    with db.uow().reading(streaming=True) as uow:
        assert audit_service.verify(uow=uow).ok
    assert (
        impatient.post(f"/api/v1/cases/{case_id}/decisions", json=decision, headers=lead).status_code == 201
    )
    assert impatient.get(f"/api/v1/cases/{case_id}", headers=lead).json()["subject"]["family_name"] == (
        "Testperson"
    )


def test_a_held_write_lock_gives_a_503_page_in_the_web_app(as_role, api: TestClient, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    case_id = api.post("/api/v1/cases", json=CASE, headers=auth(Role.PREVENT_LEAD)).json()["id"]
    lead: Browser = as_role(Role.PREVENT_LEAD)
    quick = db.impatient(PATIENCE)
    client = make_client(quick)
    client.cookies = lead.client.cookies  # the same signed-in session, served by the impatient app
    try:
        with db.write_lock_held():
            page = client.get(f"/cases/{case_id}")
        assert page.status_code == 503
        assert page.headers["retry-after"] == "5"
        assert "Sorry, the service is busy" in page.text
        assert "Testperson" not in page.text
        assert "Testperson" in client.get(f"/cases/{case_id}").text
    finally:
        client.close()
        quick.close()


@pytest.fixture
def refused_role(db: Db) -> Iterator[str]:
    """A role on the test database that the server refuses to connect (it answers as it does once
    every connection is taken), with the grants to work once it is let in."""
    assert PG_URL is not None
    role = f"prevent_ig_refused_{uuid.uuid4().hex[:8]}"
    db.admin_execute(
        f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0",
        f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}",
    )
    yield role
    db.admin_execute(f"DROP OWNED BY {role}", f"DROP ROLE {role}")


@pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL")
@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_server_refusing_connections_gives_503_until_it_lets_the_app_in(
    db: Db, refused_role: str, auth
) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    as_role = Db(
        url=make_url(db.url).set(username=refused_role).render_as_string(hide_password=False),
        backend=db.backend,
        clock=db.clock,
        config=db.config,
    )
    client = make_client(as_role)
    try:
        assert_unavailable_problem(client.get("/api/v1/due", headers=lead))
        db.admin_execute(f"ALTER ROLE {refused_role} CONNECTION LIMIT -1")
        assert client.get("/api/v1/due", headers=lead).status_code == 200
    finally:
        client.close()
        as_role.close()


def prevent_ig(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prevent_ig", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_exits_75_with_a_clear_message_when_the_database_is_busy(db: Db, tmp_path: Path) -> None:
    env = {k: v for k, v in db.cli_env(tmp_path).items() if v is not None}
    env["PREVENT_IG_DATABASE_BUSY_TIMEOUT_SECONDS"] = str(PATIENCE)
    with db.write_lock_held():
        result = prevent_ig(env, "demo-data", "--today", "2026-11-26")
    assert result.returncode == 75, result.stderr
    assert "database could not take this command just now" in result.stderr
    assert "Traceback" not in result.stderr
    assert prevent_ig(env, "demo-data", "--today", "2026-11-26").returncode == 0


def test_the_cli_exits_75_when_the_database_server_is_down(tmp_path: Path) -> None:
    down = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/prevent_ig"
    result = prevent_ig(
        {"PREVENT_IG_DATABASE_URL": down, "PREVENT_IG_DATA_DIR": str(tmp_path)}, "cases", "list"
    )
    assert result.returncode == 75, result.stderr
    assert "(OperationalError (SQLSTATE none))" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_fault_is_a_500_problem_not_a_503(api: TestClient, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    """A fault that trying again would not mend (here a table gone from under the app) is not dressed up
    as "busy": the API answers 500 with a problem document, and the web app a 500 page."""
    lead = auth(Role.PREVENT_LEAD)
    assert api.get("/api/v1/due", headers=lead).status_code == 200
    db.admin_execute("DROP TABLE partner_requests" + (" CASCADE" if db.backend == "postgresql" else ""))
    broken = api.get("/api/v1/due", headers=lead)
    assert broken.status_code == 500
    assert broken.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in broken.headers
    assert broken.json()["type"].endswith("/internal")
