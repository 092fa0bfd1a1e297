"""Text longer than its column is refused with the field named and nothing written, on SQLite (which
would have kept it) and PostgreSQL (which failed with a 500) alike, from the web, the API and the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    AuditEventRow,
    CaldicottLogRow,
    DisclosureRow,
    DocumentRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.services.api_tokens import SERVICE_LENGTH, create_token
from tests.builders import input_data
from tests.fixtures_db import Db
from tests.records.helpers import assess_case, open_case
from tests.web.test_form_dates import _agreement, _concern, _request

TOO_LONG = "x" * 201  # the name columns hold 200


def audit_seq(db: Db) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.max(AuditEventRow.seq))) or 0


def events_since(db: Db, seq: int) -> list[str]:
    with db.uow() as uow:
        return list(uow.session.scalars(select(AuditEventRow.event).where(AuditEventRow.seq > seq)))


def count(db: Db, row: type) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(row)) or 0


@pytest.mark.parametrize(
    ("role", "form", "field"),
    [  # each of these gave a 500 on PostgreSQL
        (Role.PRACTITIONER, _concern, "given_name"),
        (Role.PRACTITIONER, _concern, "family_name"),
        (Role.PREVENT_LEAD, _request, "organisation"),
        (Role.PREVENT_LEAD, _request, "person"),
        (Role.IG_ADVISER, _agreement, "partner"),
    ],
)
def test_a_form_field_longer_than_its_column_is_refused_naming_it(as_role, db: Db, role, form, field) -> None:  # type: ignore[no-untyped-def]
    browser = as_role(role)
    path, good, row = form(db, "2026")
    before = (count(db, row), audit_seq(db))

    refused = browser.post_form(path, {**good, field: TOO_LONG})

    assert refused.status_code == 400, refused.text[:300]
    words = field.replace("_", " ").capitalize()
    assert f"{words} must be at most 200 characters. Nothing was saved" in refused.text
    assert count(db, row) == before[0]
    assert all(event.endswith(":view") for event in events_since(db, before[1]))  # the form's reads only
    assert browser.post_form(path, {**good, field: "x" * 200}).status_code == 303  # the limit itself


def test_a_token_whose_service_name_fills_the_actor_column_can_still_make_audited_calls(api, db: Db) -> None:  # type: ignore[no-untyped-def]
    # Every call is audited as token:<id>:<service>, in a column of 200: a 200-character service name
    # used to be accepted, and then every call the token made failed to write its audit event.
    with db.uow() as uow:
        _, token = create_token(
            uow=uow, actor="test", service="s" * SERVICE_LENGTH, role=Role.AUDITOR, days=1
        )
    called = api.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert called.status_code == 200, called.text
    with db.uow() as uow:
        actor = uow.session.scalar(select(AuditEventRow.actor).order_by(AuditEventRow.seq.desc()).limit(1))
    assert actor is not None and actor.endswith("s" * SERVICE_LENGTH)
    with db.uow() as uow, pytest.raises(Exception, match=f"at most {SERVICE_LENGTH} characters"):
        create_token(uow=uow, actor="test", service="s" * (SERVICE_LENGTH + 1), role=Role.AUDITOR, days=1)


def test_a_decision_whose_recipient_name_could_not_be_disclosed_to_gets_422(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    # The disclosure keeps the recipient's name in a column of 200: such a decision was recorded, and
    # disclosing on it then failed (a 500 on PostgreSQL).
    lead = auth(Role.PREVENT_LEAD)
    case_id = open_case(db)
    before = (count(db, AssessmentRow), count(db, DisclosureRow))
    assessment = input_data(recipient={"name": TOO_LONG})

    refused = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": assessment, "lead_decision": "follow"},
        headers=lead,
    )

    assert refused.status_code == 422, refused.text
    assert {
        "field": "assessment.recipient.name",
        "message": "must be at most 200 characters",
    } in refused.json()["errors"]
    assert (count(db, AssessmentRow), count(db, DisclosureRow)) == before


def test_the_cli_refuses_a_long_adviser_and_leaves_no_drafted_entry(db: Db, tmp_path: Path) -> None:
    decision = assess_case(db, open_case(db), ig_advice={"adviser_role": "dpo", "supports_sharing": True})
    before = (count(db, DocumentRow), count(db, CaldicottLogRow), count(db, AuditEventRow))
    env = {**os.environ, **{k: v for k, v in db.cli_env(tmp_path).items() if v is not None}}
    env.pop("PREVENT_IG_ENGINE_CONFIG", None)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "prevent_ig",
            "documents",
            "caldicott",
            str(decision),
            "--log",
            "--adviser",
            TOO_LONG,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2, result.stderr
    assert "error: adviser: must be at most 200 characters" in result.stderr
    assert "Traceback" not in result.stderr
    # One transaction: the drafted entry went with the refused log entry (it was issued and kept before).
    assert (count(db, DocumentRow), count(db, CaldicottLogRow), count(db, AuditEventRow)) == before
