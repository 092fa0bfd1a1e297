"""The records commands end to end: schema, demo data, cases, due list, audit, backup and restore."""

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from prevent_ig.adapters.records.tables import AuditEventRow, UserRow, WebSessionRow
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.cli.app import app
from prevent_ig.services.accounts import start_sign_in
from prevent_ig.services.errors import RefusedError
from prevent_ig.services.requests import mark_answered
from tests.documents.builders import partner_request as request_with_decision
from tests.fixtures_db import Db
from tests.mail.fakes import RefusingServer, queue_pack, run_worker
from tests.records.helpers import open_case, partner_request
from tests.web.conftest import PASSWORD, add_user

runner = CliRunner()


@pytest.fixture
def env(db: Db, tmp_path: Path) -> dict[str, str | None]:
    return {
        "PREVENT_IG_DATABASE_URL": db.url,
        "PREVENT_IG_DATA_DIR": str(tmp_path / "data"),
        "PREVENT_IG_ENGINE_CONFIG": None,
        "PREVENT_IG_AUDIT_KEY": None,
    }


def run(env: dict[str, str | None], *args: str) -> Any:
    return runner.invoke(app, list(args), env=env)


def test_demo_data_puts_cases_at_every_stage(env: dict[str, str | None]) -> None:
    assert run(env, "db", "upgrade").exit_code == 0
    loaded = run(env, "demo-data", "--today", "2026-11-26")
    assert loaded.exit_code == 0, loaded.output
    cases = json.loads(run(env, "cases", "list", "--json").stdout)
    stages = {c["stage"] for c in cases}
    assert stages == {
        "concern_raised",
        "referred",
        "police_screening",
        "information_gathering",
        "channel_panel",
        "support_plan",
        "closed",
        "review_6_months",
        "review_12_months",
        "archived",
    }
    assert all(c["owner"] == "demo.lead" for c in cases)
    only_closed = json.loads(run(env, "cases", "list", "--stage", "closed", "--json").stdout)
    assert only_closed and all(c["stage"] == "closed" for c in only_closed)
    show = json.loads(run(env, "cases", "show", str(cases[5]["id"]), "--json").stdout)
    assert show["stage"] == "support_plan"
    assert show["consents"][0]["scope"] == "channel_support"
    assert show["assessments"][0]["outcome"] == "share"
    assert show["timeline"][0]["kind"] == "concern_raised"
    assert {"id", "subject", "requests", "disclosures"} <= show.keys()


def test_cases_due_lists_overdue_first_then_due_soon(env: dict[str, str | None]) -> None:
    run(env, "demo-data", "--today", "2026-11-26")
    due = json.loads(run(env, "cases", "due", "--today", "2026-12-10", "--within", "10", "--json").stdout)
    dates = [d["due_on"] for d in due]
    assert dates == sorted(dates)
    assert any(d["overdue"] for d in due)
    overdue = [d["overdue"] for d in due]
    assert overdue == sorted(overdue, reverse=True)
    assert {"kind", "case_id", "item_id", "due_on", "overdue", "working_days_left"} <= due[0].keys()


def test_audit_head_verify_export_and_offline_verify(env: dict[str, str | None], tmp_path: Path) -> None:
    run(env, "demo-data", "--today", "2026-11-26")
    head = run(env, "audit", "head").stdout.strip()
    digest, count = head.split(":")
    assert len(digest) == 64 and int(count) > 50
    verified = run(env, "audit", "verify", "--anchor", head)
    assert verified.exit_code == 0 and f"ok: {count} events" in verified.stdout
    export = tmp_path / "chain.jsonl"
    assert run(env, "audit", "export", str(export)).exit_code == 0
    offline = run({}, "audit", "verify", "--file", str(export), "--anchor", head)
    assert offline.exit_code == 0, offline.output
    lines = export.read_text().splitlines()
    lines[10] = lines[10].replace('"actor": "demo.lead"', '"actor": "demo.leaf"')
    export.write_text("\n".join(lines) + "\n")
    broken = run({}, "audit", "verify", "--file", str(export))
    assert broken.exit_code == 1
    assert "BROKEN: event 11" in broken.stderr


def test_bad_anchor_and_unknown_case_exit_2(env: dict[str, str | None]) -> None:
    run(env, "db", "upgrade")
    bad = run(env, "audit", "verify", "--anchor", "abc:1")
    assert bad.exit_code == 2 and "--anchor" in bad.stderr
    missing = run(env, "cases", "show", "999")
    assert missing.exit_code == 2 and "case 999 does not exist" in missing.stderr
    stage = run(env, "cases", "list", "--stage", "limbo")
    assert stage.exit_code == 2


def test_backup_and_restore_the_embedded_database(env: dict[str, str | None], db: Db, tmp_path: Path) -> None:
    if db.backend != "sqlite":
        refused = run(env, "backup", str(tmp_path / "b.sqlite3"))
        assert refused.exit_code == 2 and "pg_dump" in refused.stderr
        return
    run(env, "demo-data", "--today", "2026-11-26")
    count_before = int(run(env, "audit", "head").stdout.strip().split(":")[1])
    backup = tmp_path / "backup.sqlite3"
    assert run(env, "backup", str(backup)).exit_code == 0
    assert run(env, "backup", str(backup)).exit_code == 2  # never overwrites
    taken = run(env, "audit", "head").stdout.strip()  # the copy holds the record of its own taking
    assert last_events(db, 1) == [("cli", "records:backup", None)]
    assert int(taken.split(":")[1]) == count_before + 1
    run(env, "cases", "show", "1")  # adds an audit event after the backup
    replaced = run(env, "audit", "head").stdout.strip()
    assert replaced != taken
    assert run(env, "restore", str(backup)).exit_code == 2  # needs --yes
    restored = run(env, "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"the chain it replaced ended at {replaced}" in restored.stdout
    # The restored chain is the backup's, then the restore itself, naming the head it cut off.
    assert last_events(db, 2) == [("cli", "records:backup", None), ("cli", "records:restore", None)]
    assert int(run(env, "audit", "head").stdout.strip().split(":")[1]) == count_before + 2
    assert run(env, "audit", "verify").exit_code == 0
    assert run(env, "audit", "verify", "--anchor", taken).exit_code == 0
    assert run(env, "audit", "verify", "--anchor", replaced).exit_code == 1  # the cut shows
    not_backup = tmp_path / "junk.sqlite3"
    not_backup.write_bytes(b"not a database at all")
    assert run(env, "restore", str(not_backup), "--yes").exit_code == 2


def last_events(db: Db, count: int) -> list[tuple[str, str, int | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.actor, AuditEventRow.event, AuditEventRow.case_id)
            .order_by(AuditEventRow.seq.desc())
            .limit(count)
        ).all()
    return [(actor, event, case_id) for actor, event, case_id in reversed(rows)]


def test_tokens_are_made_listed_oldest_first_with_their_state_and_revoked(env: dict[str, str | None]) -> None:
    made = [
        runner.invoke(
            app, ["tokens", "create", "--service", service, "--role", "auditor", "--days", "30"], env=env
        )
        for service in ("First EHR", "Second EHR")
    ]
    assert [result.exit_code for result in made] == [0, 0]
    token = made[0].stdout.strip().splitlines()[-1]
    assert token.startswith("pig_")
    assert runner.invoke(app, ["tokens", "revoke", "1"], env=env).exit_code == 0

    listed = runner.invoke(app, ["tokens", "list"], env=env)

    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2"]
    assert lines[0].endswith("revoked") and lines[1].endswith("active")
    assert token not in listed.stdout
    too_long = runner.invoke(app, ["tokens", "create", "--service", "x" * 201, "--role", "auditor"], env=env)
    assert too_long.exit_code == 2 and "service" in too_long.output
    for beyond in ("0", "2147483648", "99999999999999999999"):  # a traceback on either database before
        revoked = runner.invoke(app, ["tokens", "revoke", beyond], env=env)
        assert revoked.exit_code == 2 and "Invalid value for 'token_id'" in revoked.output, revoked.output


def audit_events(db: Db) -> list[tuple[str, str, str | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(select(AuditEventRow.actor, AuditEventRow.event, AuditEventRow.entity))
        return [(r.actor, r.event, r.entity) for r in rows]


def test_audit_trail_lists_a_cases_events_without_personal_data_and_records_the_look(
    env: dict[str, str | None], db: Db
) -> None:
    case_id = open_case(db, given_name="Zebedee")
    shown = run(env, "audit", "trail", str(case_id), "--json")
    assert shown.exit_code == 0, shown.output
    trail = json.loads(shown.stdout)
    events = [(e["actor"], e["event"]) for e in trail["events"]]
    assert ("clinician.a", "case:record:create") in events
    assert events[-1] == ("cli", "audit:trail:view")  # the look itself, recorded before reading
    assert trail["total"] == len(events)
    assert "Zebedee" not in shown.stdout
    plain = run(env, "audit", "trail", str(case_id))
    assert plain.stdout.splitlines()[-1] == f"{len(events) + 1} events on case {case_id}"
    for bad in ("0", "99999999999999999999", "twelve"):
        refused = run(env, "audit", "trail", bad)
        assert refused.exit_code == 2 and "Traceback" not in refused.output, bad


def test_report_requests_judges_each_request_and_writes_the_csv_once(
    env: dict[str, str | None], db: Db, tmp_path: Path
) -> None:
    case_id = open_case(db, on=date(2026, 11, 2))
    answered = partner_request(db, case_id, date(2026, 11, 2), organisation="=Synthetic Council")
    partner_request(db, case_id, date(2026, 11, 3))  # still open, five working days long past
    partner_request(db, case_id, date(2026, 10, 1))  # received before the period
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=answered, on=date(2026, 11, 5))
    period = ("--from", "2026-11-01", "--to", "2026-11-30")

    report = json.loads(run(env, "report", "requests", *period, "--json").stdout)

    assert report["counts"]["answered_on_time"] == 1 and report["counts"]["open_overdue"] == 1
    assert sum(report["counts"].values()) == 2
    assert report["answered_on_time_share"] == 1.0
    assert [(r["organisation"], r["working_days_on_the_clock"]) for r in report["requests"]] == [
        ("=Synthetic Council", 3),
        ("Synthetic Council", None),
    ]
    target = tmp_path / "board-pack.csv"
    written = run(env, "report", "requests", *period, "--csv", str(target))
    assert written.exit_code == 0, written.output
    assert "answered on time: 100%" in written.stdout
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeffrequest_id,case_id,organisation,")
    assert "'=Synthetic Council" in text  # a spreadsheet shows it as text, never runs it
    again = run(env, "report", "requests", *period, "--csv", str(target))
    assert again.exit_code == 2 and "exists" in again.output
    assert [e for _, e, _ in audit_events(db) if e.startswith("oversight:")] == [
        "oversight:requests:report",
        "oversight:requests:export",
    ]
    backwards = run(env, "report", "requests", "--from", "2026-11-30", "--to", "2026-11-01")
    assert backwards.exit_code == 2 and "--to: must not be before" in backwards.output
    too_long = run(env, "report", "requests", "--from", "2000-01-01")  # --to left to default
    assert too_long.exit_code == 2 and "--from: a report covers at most" in too_long.output
    nowhere = run(env, "report", "requests", *period, "--csv", str(tmp_path / "no-such-folder" / "r.csv"))
    assert nowhere.exit_code == 2 and "--csv: cannot write" in nowhere.output
    assert "Traceback" not in nowhere.output
    refused_period = tmp_path / "refused.csv"
    run(env, "report", "requests", "--from", "2026-11-30", "--to", "2026-11-01", "--csv", str(refused_period))
    assert not refused_period.exists()  # no empty file left behind
    assert [e for _, e, _ in audit_events(db) if e.startswith("oversight:")] == [
        "oversight:requests:report",
        "oversight:requests:export",
    ]  # only the report and the export that happened


def test_users_are_listed_disabled_and_enabled_from_the_command_line(
    env: dict[str, str | None], db: Db
) -> None:
    add_user(db, "lead.cli", Role.PREVENT_LEAD)
    listed = run(env, "users", "list")
    assert listed.exit_code == 0, listed.output
    assert re.search(r"^lead\.cli\s+prevent_lead\s+active\s+last sign-in never$", listed.stdout, flags=re.M)
    assert run(env, "users", "disable", "lead.cli").exit_code == 0
    assert re.search(r"^lead\.cli\s+prevent_lead\s+disabled", run(env, "users", "list").stdout, flags=re.M)
    again = run(env, "users", "disable", "lead.cli")
    assert again.exit_code == 2 and "already disabled" in again.output
    assert run(env, "users", "enable", "lead.cli").exit_code == 0
    assert re.search(r"^lead\.cli\s+prevent_lead\s+active", run(env, "users", "list").stdout, flags=re.M)
    unknown = run(env, "users", "disable", "nobody")
    assert unknown.exit_code == 2 and "no account nobody" in unknown.output


def test_a_reset_gives_a_new_password_and_secret_and_ends_the_old_ones(
    env: dict[str, str | None], db: Db
) -> None:
    old_secret = add_user(db, "lead.lost.phone", Role.PREVENT_LEAD)
    with db.uow() as uow:
        start_sign_in(uow=uow, username="lead.lost.phone", password=PASSWORD)  # a session, half signed in
    short = runner.invoke(
        app, ["users", "reset", "lead.lost.phone", "--password-stdin"], input="short\n", env=env
    )
    assert short.exit_code == 2 and "password: must be at least 12 characters" in short.output

    reset = runner.invoke(
        app,
        ["users", "reset", "lead.lost.phone", "--password-stdin"],
        input="a brand new passphrase\n",
        env=env,
    )

    assert reset.exit_code == 0, reset.output
    new_secret = re.search(r"secret: (\S+)", reset.stdout).group(1)  # type: ignore[union-attr]
    assert new_secret != old_secret
    with db.uow() as uow:
        user = uow.session.scalars(select(UserRow).where(UserRow.username == "lead.lost.phone")).one()
        assert user.totp_secret == new_secret
        assert uow.session.scalars(select(WebSessionRow).where(WebSessionRow.user_id == user.id)).all() == []
        with pytest.raises(RefusedError):
            start_sign_in(uow=uow, username="lead.lost.phone", password=PASSWORD)
    with db.uow() as uow:
        assert start_sign_in(uow=uow, username="lead.lost.phone", password="a brand new passphrase")
    assert ("cli", "admin:user:reset", f"user:{user.id}") in audit_events(db)
    run(env, "users", "disable", "lead.lost.phone")
    disabled = runner.invoke(
        app,
        ["users", "reset", "lead.lost.phone", "--password-stdin"],
        input="another new passphrase\n",
        env=env,
    )
    assert disabled.exit_code == 2 and "is disabled: enable it first" in disabled.output


def test_an_account_made_on_the_server_signs_in_with_its_password_and_the_secret_printed_once(
    env: dict[str, str | None], db: Db
) -> None:
    made = runner.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "j.smith",
            "--role",
            "siro",
            "--display-name",
            "J Smith",
            "--password-stdin",
        ],
        input="a long enough passphrase\n",
        env=env,
    )
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("created j.smith (siro). Add this to an authenticator app now")
    secret = re.search(r"secret: (\S+)", made.stdout).group(1)  # type: ignore[union-attr]
    with db.uow() as uow:
        assert (
            uow.session.scalars(select(UserRow.totp_secret).where(UserRow.username == "j.smith")).one()
            == secret
        )
        assert start_sign_in(uow=uow, username="j.smith", password="a long enough passphrase")
    again = runner.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "j.smith",
            "--role",
            "siro",
            "--display-name",
            "J",
            "--password-stdin",
        ],
        input="a long enough passphrase\n",
        env=env,
    )
    assert again.exit_code == 2 and "already exists" in again.output


def test_cases_show_says_which_disclosure_was_not_delivered(env: dict[str, str | None], db: Db) -> None:
    made = request_with_decision(db)
    queued = queue_pack(db, made.assessment_id)
    run_worker(db, RefusingServer())

    shown = run(env, "cases", "show", str(made.case_id))

    assert shown.exit_code == 0, shown.output
    assert (
        f"disclosures: {queued.disclosure_id} to Northshire Channel Panel (synthetic): identity, mental-health "
        "(not delivered: failed 2026-11-26)"
    ) in shown.stdout
