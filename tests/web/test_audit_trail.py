"""Journey 9 over HTTP: the chain's verification status, its head for anchoring, and a case's trail."""

import re

import pytest
from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.access import Role
from prevent_ig.services.audit import chain_head
from tests.fixtures_db import Db
from tests.records.helpers import assess_case, open_case

ANCHOR = re.compile(r'id="anchor-value">([0-9a-f]{64}):(\d+)<')


def disable_protection(db: Db) -> None:
    """What someone with direct database access could do before tampering."""
    if db.backend == "postgresql":
        db.admin_execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    else:
        db.admin_execute("DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete")


def test_the_auditor_sees_an_intact_chain_and_the_head_to_anchor(as_role) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.one")
    open_case(auditor.db)

    page = auditor.client.get("/audit")

    assert page.status_code == 200
    assert "Intact" in page.text
    with auditor.db.uow() as uow:
        count, head = chain_head(uow=uow)
        last = uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc())).first()
        assert last is not None
        assert (last.event, last.actor) == ("audit:chain:verify", "auditor.one")  # the look is audited
    match = ANCHOR.search(page.text)
    assert match and (match.group(1), int(match.group(2))) == (head, count)
    assert f"All {count:,} events link to the one before them" in page.text


def test_an_anchor_is_checked_and_a_malformed_one_explained(as_role) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.two")
    first = ANCHOR.search(auditor.client.get("/audit").text)
    assert first
    anchor = f"{first.group(1)}:{first.group(2)}"
    open_case(auditor.db)  # the chain grows after the anchor was written down

    matches = auditor.client.get("/audit", params={"anchor": anchor})
    assert "Matches" in matches.text and f"contains event {first.group(2)} with that hash" in matches.text

    forged = auditor.client.get("/audit", params={"anchor": f"{'0' * 64}:{first.group(2)}"})
    assert "Does not match" in forged.text and "does not match the anchor" in forged.text

    malformed = auditor.client.get("/audit", params={"anchor": "abc"})
    assert malformed.status_code == 400
    assert 'href="#anchor"' in malformed.text and 'id="anchor-error"' in malformed.text
    assert "An anchor is HASH:COUNT" in malformed.text


def test_a_tampered_chain_is_reported_at_the_first_broken_event(as_role) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.three")
    db = auditor.db
    open_case(db)
    disable_protection(db)
    db.admin_execute("UPDATE audit_events SET actor = 'someone.else' WHERE seq = 3")

    page = auditor.client.get("/audit")

    assert page.status_code == 200
    assert "Broken" in page.text and "The audit chain is broken" in page.text
    assert "Event 3: its content does not match its hash: it was altered." in page.text
    assert "The 2 events before it verify" in page.text


def test_the_case_trail_lists_events_without_personal_data_and_is_audited(as_role) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.four")
    db = auditor.db
    case_id = open_case(db)
    other = open_case(db, given_name="Robin")
    assessment_id = assess_case(db, case_id)

    page = auditor.client.get("/audit/trail", params={"case_id": str(case_id)})

    assert page.status_code == 200
    assert f"Audit trail of case {case_id}" in page.text
    rows = re.findall(r"<code>([a-z_]+:[a-z_]+:[a-z_]+)</code>", page.text)
    assert rows == ["case:subject:create", "case:record:create", "case:assessment:create", "audit:trail:view"]
    assert f"assessment:{assessment_id}" in page.text and "clinician.a" in page.text
    for personal in (
        "Alex",
        "Testperson",
        "Synthetic Street",
        "999 000 0018",
        "9990000018",
        "Synthetic concern",
    ):
        assert personal not in page.text
    with db.uow() as uow:
        last = uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc())).first()
        assert last is not None
        assert (last.event, last.actor, last.case_id) == ("audit:trail:view", "auditor.four", case_id)
    assert f"case:{other}" not in page.text


@pytest.mark.parametrize(("given", "message"), [("", "Enter a case number, like 12"), ("12a", "digits only")])
def test_a_case_number_is_needed_for_a_trail(as_role, given: str, message: str) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.five")
    page = auditor.client.get("/audit/trail", params={"case_id": given})
    assert page.status_code == 400
    assert message in page.text and 'href="#case_id"' in page.text and 'id="case_id-error"' in page.text


@pytest.mark.parametrize("role", [Role.PREVENT_LEAD, Role.IG_ADVISER, Role.SIRO, Role.ADMINISTRATOR])
def test_only_auditors_read_the_audit_trail(as_role, role: Role) -> None:  # type: ignore[no-untyped-def]
    browser = as_role(role)
    assert browser.client.get("/audit").status_code == 403
    assert browser.client.get("/audit/trail", params={"case_id": "1"}).status_code == 403


def test_a_case_number_beyond_any_record_is_refused_not_looked_up(as_role) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.six")
    page = auditor.client.get("/audit/trail", params={"case_id": "99999999999"})
    assert page.status_code == 400 and "Enter a case number from 1 to" in page.text
    unicode_digits = auditor.client.get("/audit/trail", params={"case_id": "²"})
    assert unicode_digits.status_code == 400 and "digits only" in unicode_digits.text
