"""`prevent-ig cases move`: a pathway move from the command line goes through the use case the web and
API use, is recorded and audited as theirs are (actor `cli`), and every refusal exits 2 naming what to
change, with nothing written."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from prevent_ig.adapters.records.tables import AuditEventRow, CaseEventRow, CaseRow
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.entrypoints.cli.app import app
from prevent_ig.services.pathway import advance_case
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case, partner_request

runner = CliRunner()
OPENED = TODAY - timedelta(days=10)
"""Every case here opens ten days before the test clock's day; the CLI runs on the real clock, which
is past it, so a date in the future is one the calendar cannot reach (2099)."""


@pytest.fixture
def env(db: Db, tmp_path: Path) -> dict[str, str | None]:
    return db.cli_env(tmp_path / "data")


def run(env: dict[str, str | None], *args: str) -> Any:
    return runner.invoke(app, list(args), env=env)


def at_police_screening(db: Db) -> int:
    """A case referred on a followed decision and screened, all on the day it was opened."""
    case_id = open_case(db, on=OPENED)
    assess_case(db, case_id, on=OPENED)
    for move in (Move.REFER, Move.START_SCREENING):
        with db.uow() as uow:
            advance_case(
                uow=uow, actor="lead.a", case_id=case_id, move=move, on=OPENED, calendar=db.config.calendar
            )
    return case_id


def version_shown(env: dict[str, str | None], case_id: int) -> int:
    shown = run(env, "cases", "show", str(case_id), "--json")
    assert shown.exit_code == 0, shown.output
    version: int = json.loads(shown.stdout)["version"]
    return version


def snapshot(db: Db, case_id: int) -> tuple[Any, ...]:
    """Everything a move writes: the case's pathway columns, its timeline and the audit chain's length."""
    with db.uow() as uow:
        row = uow.session.get(CaseRow, case_id)
        assert row is not None
        timeline = uow.session.scalar(select(func.count()).where(CaseEventRow.case_id == case_id))
        audit = uow.session.scalar(select(func.count()).select_from(AuditEventRow))
        return (row.stage, row.version, row.information_due_on, row.closed_on, timeline, audit)


def last_move_audited(db: Db, case_id: int) -> tuple[str, str, str | None, str | None]:
    with db.uow() as uow:
        event = uow.session.execute(
            select(AuditEventRow.actor, AuditEventRow.event, AuditEventRow.entity, AuditEventRow.digest)
            .where(AuditEventRow.case_id == case_id, AuditEventRow.event == "case:stage:change")
            .order_by(AuditEventRow.seq.desc())
            .limit(1)
        ).one()
        return (event.actor, event.event, event.entity, event.digest)


def test_a_move_is_made_printed_with_its_deadline_and_audited_as_the_service_audits_it(
    db: Db, env: dict[str, str | None]
) -> None:
    by_cli, by_service = at_police_screening(db), at_police_screening(db)
    version = version_shown(env, by_cli)

    moved = run(
        env,
        "cases",
        "move",
        str(by_cli),
        "gather_information",
        "--on",
        str(OPENED + timedelta(days=1)),
        "--information-request-on",
        str(OPENED),
        "--expected-version",
        str(version),
    )

    assert moved.exit_code == 0, moved.output
    # Monday 16 November: five England working days on is Monday 23 November.
    assert moved.stdout.splitlines() == [
        f"case {by_cli}: information_gathering (version {version + 1})",
        "information gathering due 2026-11-23 (5 working days from the panel's request on 2026-11-16)",
    ]
    with db.uow() as uow:
        row = uow.session.get(CaseRow, by_cli)
        assert row is not None
        assert (row.stage, row.version, row.information_request_on, row.information_due_on) == (
            "information_gathering",
            version + 1,
            OPENED,
            OPENED + timedelta(days=7),
        )
        step = uow.session.scalars(
            select(CaseEventRow)
            .where(CaseEventRow.case_id == by_cli)
            .order_by(CaseEventRow.id.desc())
            .limit(1)
        ).one()
        assert (step.kind, step.actor, step.on, step.from_stage, step.to_stage) == (
            "stage_change",
            "cli",
            OPENED + timedelta(days=1),
            "police_screening",
            "information_gathering",
        )
    # The same move made through the use case directly, as the CLI's actor, on a twin case: the audit
    # event is the same, down to the digest of the change it records.
    with db.uow() as uow:
        advance_case(
            uow=uow,
            actor="cli",
            case_id=by_service,
            move=Move.GATHER_INFORMATION,
            on=OPENED + timedelta(days=1),
            calendar=db.config.calendar,
            information_request_on=OPENED,
        )
    actor, event, entity, digest = last_move_audited(db, by_cli)
    assert (actor, event, entity) == ("cli", "case:stage:change", f"case:{by_cli}")
    assert digest is not None and digest == last_move_audited(db, by_service)[3]


def test_an_exit_prints_the_closure_and_its_review_dates_as_json(db: Db, env: dict[str, str | None]) -> None:
    case_id = at_police_screening(db)

    moved = run(
        env,
        "cases",
        "move",
        str(case_id),
        "exit",
        "--exit-reason",
        "signposted",
        "--on",
        str(OPENED),
        "--json",
    )

    assert moved.exit_code == 0, moved.output
    state = json.loads(moved.stdout)
    assert {k: state[k] for k in ("id", "stage", "closure", "exit_reason", "closed_on", "next_due_kind")} == {
        "id": case_id,
        "stage": "closed",
        "closure": "exited",
        "exit_reason": "signposted",
        "closed_on": str(OPENED),
        "next_due_kind": "review_6_months",
    }
    assert state["next_due_on"] == state["review_6_due_on"] and state["review_12_due_on"]
    assert snapshot(db, case_id)[:2] == ("closed", state["version"])


REFUSALS = [
    pytest.param(["frobnicate"], "'frobnicate' is not one of 'refer', 'start_screening'", id="unknown-move"),
    pytest.param(["gather_information", "--on", "16/11/2026"], "Invalid value for '--on'", id="bad-date"),
    pytest.param(["gather_information", "--on", "2099-01-01"], "--on: cannot be in the future", id="future"),
    pytest.param(
        ["gather_information", "--information-request-on", "2099-01-01"],
        "--information-request-on: cannot be in the future",
        id="future-request",
    ),
    pytest.param(
        ["exit", "--exit-reason", "signposted", "--on", str(OPENED - timedelta(days=1))],
        f"--on: cannot be before {OPENED}, when the case's last move was made",
        id="before-last-move",
    ),
    pytest.param(
        [
            "gather_information",
            "--on",
            str(OPENED),
            "--information-request-on",
            str(OPENED + timedelta(days=1)),
        ],
        f"--on: cannot be before {OPENED + timedelta(days=1)}, when the panel's request for information arrived",
        id="dated-too-early",
    ),
    pytest.param(
        ["gather_information", "--information-request-on", str(OPENED - timedelta(days=1))],
        f"--information-request-on: cannot be before {OPENED}, when the case was opened",
        id="request-dated-too-early",
    ),
    pytest.param(
        ["take_to_panel"],
        "MOVE: 'take_to_panel' is not possible from stage 'police_screening'. Allowed now: gather_information, exit.",
        id="not-from-this-stage",
    ),
    pytest.param(
        ["exit"],
        "--exit-reason: an exit needs a reason: one of signposted, escalated_police_led, non_consent, "
        "no_or_reduced_vulnerability",
        id="exit-without-reason",
    ),
    pytest.param(
        ["gather_information", "--exit-reason", "signposted"],
        "--exit-reason: only with the move exit",
        id="reason",
    ),
    pytest.param(
        ["exit", "--exit-reason", "signposted", "--information-request-on", str(OPENED)],
        "--information-request-on: is given only when information gathering starts",
        id="request-day-on-another-move",
    ),
    pytest.param(
        ["exit", "--exit-reason", "signposted", "--information-request-id", "1"],
        "--information-request-id: is given only when information gathering starts",
        id="request-on-another-move",
    ),
    pytest.param(
        ["gather_information", "--information-request-id", "999"],
        "--information-request-id: case {case_id} has no partner request 999",
        id="no-such-request",
    ),
    pytest.param(["exit", "--exit-reason", "nope"], "Invalid value for '--exit-reason'", id="unknown-reason"),
    pytest.param(
        ["gather_information", "--expected-version", "1"],
        "--expected-version: case {case_id} changed since you loaded it",
        id="stale-version",
    ),
]


def test_gathering_can_name_the_recorded_request_whose_clock_is_then_the_deadline(
    db: Db, env: dict[str, str | None]
) -> None:
    case_id = at_police_screening(db)
    request_id = partner_request(db, case_id, OPENED)

    moved = run(
        env, "cases", "move", str(case_id), "gather_information", "--information-request-id", str(request_id)
    )

    assert moved.exit_code == 0, moved.output
    assert moved.stdout.splitlines()[1] == (
        f"information gathering asked for by partner request {request_id} on {OPENED}: its own due date "
        "is the deadline (`cases show`)"
    )
    shown = run(env, "cases", "show", str(case_id))
    assert f"Next due: {OPENED + timedelta(days=7)} (partner request {request_id})" in shown.stdout
    assert (
        f"Information asked for by partner request {request_id}, whose due date is the deadline"
        in shown.stdout
    )


@pytest.mark.parametrize(("arguments", "message"), REFUSALS)
def test_a_refused_move_exits_2_naming_what_to_change_and_writes_nothing(
    db: Db, env: dict[str, str | None], arguments: list[str], message: str
) -> None:
    case_id = at_police_screening(db)
    before = snapshot(db, case_id)

    refused = run(env, "cases", "move", str(case_id), *arguments)

    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.replace("│", " ").split())
    assert message.format(case_id=case_id) in said
    assert "Traceback" not in refused.output
    assert refused.stdout == ""
    assert snapshot(db, case_id) == before


def test_a_move_its_guard_refuses_or_on_a_case_that_does_not_exist_exits_2(
    db: Db, env: dict[str, str | None]
) -> None:
    case_id = open_case(db, on=OPENED)  # no referral decision on record
    before = snapshot(db, case_id)

    refused = run(env, "cases", "move", str(case_id), "refer")
    missing = run(env, "cases", "move", str(case_id + 1), "refer")
    beyond = run(env, "cases", "move", "2147483648", "refer")

    assert refused.exit_code == 2 and refused.stderr.startswith(
        "error: MOVE: A referral needs a sharing assessment"
    )
    assert missing.exit_code == 2 and missing.stderr == f"error: CASE_ID: case {case_id + 1} does not exist\n"
    assert beyond.exit_code == 2 and "Invalid value for 'case_id'" in " ".join(
        beyond.output.replace("│", " ").split()
    )
    assert snapshot(db, case_id) == before
