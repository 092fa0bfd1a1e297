"""Commands over the case records: database, demo data, cases, audit log, backup and restore."""

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from prevent_ig.adapters.records import migrate
from prevent_ig.adapters.records.database import is_sqlite
from prevent_ig.adapters.records.tables import MAX_ID
from prevent_ig.bootstrap import Records
from prevent_ig.domain.pathway.stages import Stage
from prevent_ig.domain.records.audit_chain import Anchor, Verification, events_from_json_lines, verify_chain
from prevent_ig.entrypoints.cli.common import (
    CLI_ACTOR,
    CaseIdArgument,
    JsonOption,
    date_option,
    day_or_today,
    fail,
    open_records,
)
from prevent_ig.services import audit as audit_service
from prevent_ig.services import cases as case_service
from prevent_ig.services.demo import load_demo_data
from prevent_ig.services.errors import ServiceError

CHAIN_BROKEN = 1

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
cases_app = typer.Typer(help="Prevent cases.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    records = open_records()
    migrate.upgrade(records.engine)
    typer.echo(f"database at {make_url(records.url).render_as_string(hide_password=True)} is up to date")


def demo_data_command(
    today: Annotated[datetime | None, date_option()] = None,
) -> None:
    """Load synthetic subjects and cases at every stage (clearly fake; for demonstration only)."""
    records = open_records()
    migrate.upgrade(records.engine)
    result = load_demo_data(
        uow_factory=records.new_unit_of_work,
        config=records.engine_config,
        today=day_or_today(today),
    )
    typer.echo(f"loaded {len(result.case_ids)} synthetic cases: {', '.join(map(str, result.case_ids))}")


@cases_app.command("list")
def cases_list(
    stage: Annotated[Stage | None, typer.Option(help="Only cases at this stage.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Each case's id, stage, owner and next due date."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        rows = case_service.list_cases(uow=uow, actor=CLI_ACTOR, stage=stage)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    typer.echo(f"{'id':>6}  {'stage':<22} {'owner':<20} next due")
    for r in rows:
        due = f"{r.next_due_on} ({r.next_due_kind})" if r.next_due_on else "-"
        typer.echo(f"{r.id:>6}  {r.stage:<22} {r.owner:<20} {due}")


@cases_app.command("show")
def cases_show(case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """The case with its consents, requests, assessments, disclosures and timeline."""
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            # The server's operator sees every case (role None): the CLI runs with the database's rights.
            detail = case_service.view_case(uow=uow, actor=CLI_ACTOR, case_id=case_id, role=None)
    except ServiceError as error:
        fail(str(error))
    if as_json:
        typer.echo(detail.model_dump_json())
        return
    d = detail
    typer.echo(f"Case {d.id}: {d.stage} (owner {d.owner}, opened {d.opened_on}, version {d.version})")
    typer.echo(f"Subject {d.subject.id}: {d.subject.given_name} {d.subject.family_name}, {d.subject.role}")
    typer.echo(f"Address: {d.subject.address}")
    typer.echo(f"Concern: {d.concern}")
    if d.closed_on:
        typer.echo(f"Closed {d.closed_on} ({d.closure}{', ' + d.exit_reason if d.exit_reason else ''})")
    # As the web's case page and the due list judge it: the case's own deadline or an open request's.
    due = case_service.next_deadline(d)
    shown_due = "-" if due is None else f"{due[0]}" + (f" (partner request {due[1]})" if due[1] else "")
    typer.echo(f"Next due: {shown_due}; allowed moves: {', '.join(d.allowed_moves) or 'none'}")
    if d.stage == "information_gathering" and d.information_request_id:
        typer.echo(
            f"Information asked for by partner request {d.information_request_id}, "
            "whose due date is the deadline"
        )
    for label, items in (
        ("consents", [f"{c.id} {c.scope} {c.status}" for c in d.consents]),
        (
            "requests",
            [
                f"{r.id} {r.organisation} ({r.person}, {r.role}) due {r.due_on} ({r.status})"
                for r in d.requests
            ],
        ),
        (
            "disclosures",
            [
                f"{x.id} to {x.recipient_name}: {', '.join(x.item_ids)}"
                + (f" (not delivered: failed {x.undelivered_on})" if x.undelivered_on else "")
                for x in d.disclosures
            ],
        ),
    ):
        typer.echo(f"{label}: " + ("; ".join(items) if items else "none"))
    typer.echo("assessments:" + ("" if d.assessments else " none"))
    for a in d.assessments:
        typer.echo(f"  {a.id} {a.purpose} -> {a.outcome} (lead: {a.lead_decision})")
        for heading, text in (("reasoning", a.rationale), ("lead's reason", a.lead_reason)):
            if text:
                typer.echo(f"    {heading}: {text}")
    typer.echo("IG advice:" + ("" if d.ig_advice else " none"))
    for entry in d.ig_advice:
        about = f"assessment {entry.assessment_id}" if entry.assessment_id else f"entry {entry.id}"
        typer.echo(f"  {entry.logged_on} on {about}, {entry.adviser} ({entry.adviser_role}): {entry.advice}")
    typer.echo("timeline:")
    for e in d.timeline:
        late = f" (recorded {e.recorded_on})" if e.recorded_on != e.on else ""
        typer.echo(f"  {e.on} {e.actor}: {e.summary}{late}")


@cases_app.command("due")
def cases_due(
    within: Annotated[int, typer.Option(min=0, max=260, help="Working days ahead.")] = 10,
    today: Annotated[datetime | None, date_option()] = None,
    as_json: JsonOption = False,
) -> None:
    """Overdue items first, then those falling due within WITHIN working days."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        items = case_service.due_items(
            uow=uow,
            actor=CLI_ACTOR,
            today=day_or_today(today),
            within_working_days=within,
            calendar=records.engine_config.calendar,
        )
    if as_json:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items]))
        return
    for i in items:
        state = "OVERDUE" if i.overdue else f"{i.working_days_left} working days"
        ref = f" request {i.item_id}" if i.item_id else ""
        typer.echo(f"{i.due_on}  case {i.case_id}{ref}: {i.kind} ({state})")
    if not items:
        typer.echo("nothing due")


@audit_app.command("head")
def audit_head() -> None:
    """The newest hash and the event count, as HASH:COUNT, for anchoring outside the system."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        count, head = audit_service.chain_head(uow=uow)
    typer.echo(f"{head}:{count}")


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[str | None, typer.Option(help="HASH:COUNT from an earlier `audit head`.")] = None,
    file: Annotated[Path | None, typer.Option(help="Verify an exported file offline instead.")] = None,
) -> None:
    """Check the whole chain; exit 1 naming the first broken event."""
    parsed = None
    if anchor is not None:
        try:
            parsed = Anchor.parse(anchor)
        except ValueError as error:
            fail(f"--anchor: {error}")
    if file is not None:
        try:
            with file.open(encoding="utf-8") as lines:
                result = verify_chain(events_from_json_lines(lines), parsed)
        except OSError as error:
            fail(f"--file: cannot read {file} ({error.strerror})")
        except ValueError as error:
            fail(f"--file: {error}")
    else:
        records = open_records()
        with records.new_unit_of_work() as uow:
            result = audit_service.verify(uow=uow, anchor=parsed)
    _report(result)


def _report(result: Verification) -> None:
    if result.ok:
        typer.echo(f"ok: {result.count} events, head {result.head}")
        return
    where = f"event {result.first_broken_seq}" if result.first_broken_seq else "the chain"
    typer.echo(f"BROKEN: {where} {result.problem} ({result.count} events verified before it)", err=True)
    raise typer.Exit(CHAIN_BROKEN)


@audit_app.command("trail")
def audit_trail(
    case_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The case number.")],
    as_json: JsonOption = False,
) -> None:
    """A case's audit trail, oldest first: time (UTC), actor, event, record; never personal data.
    Reading it is itself recorded, as on the web."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        trail = audit_service.case_trail(uow=uow, actor=CLI_ACTOR, case_id=case_id)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "case_id": trail.case_id,
                    "total": trail.total,
                    "events": [
                        {"seq": e.seq, "at": e.at, "actor": e.actor, "event": e.event, "entity": e.entity}
                        for e in trail.events
                    ],
                }
            )
        )
        return
    for e in trail.events:
        typer.echo(f"{e.seq:>8}  {e.at}  {e.actor}  {e.event}  {e.entity or ''}".rstrip())
    shown = len(trail.events)
    typer.echo(
        f"{trail.total} events on case {case_id}"
        + (f", the last {shown} shown" if shown < trail.total else "")
    )


@audit_app.command("export")
def audit_export(file: Path) -> None:
    """Write the chain as JSON lines for offline verification (docs/audit.md)."""
    records = open_records()
    with records.new_unit_of_work() as uow:
        count = audit_service.export(uow=uow, path=file)
    typer.echo(f"wrote {count} events to {file}")


def backup_command(file: Path) -> None:
    """Copy the embedded SQLite database to FILE while it is in use (PostgreSQL: use pg_dump)."""
    records = open_records()
    source = _sqlite_path(records)
    if file.exists():
        fail(f"FILE: {file} exists; choose a new name so no backup is overwritten")
    # Recorded first, so the copy holds the record of its own taking: a full copy of every case is
    # the largest read there is.
    with records.new_unit_of_work() as uow:
        uow.audit.record(
            actor=CLI_ACTOR, event="records:backup", entity="database", change={"file": str(file)}
        )
        uow.commit()
    with sqlite3.connect(source) as live, sqlite3.connect(file) as copy:
        live.backup(copy)
    typer.echo(f"backed up {source} to {file}")


def restore_command(
    file: Path, yes: Annotated[bool, typer.Option("--yes", help="Confirm replacing the database.")] = False
) -> None:
    """Replace the embedded SQLite database with a backup (PostgreSQL: use pg_restore)."""
    records = open_records()
    target = _sqlite_path(records)
    if not file.is_file():
        fail(f"FILE: {file} does not exist")
    try:
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as backup:
            backup.execute("SELECT version_num FROM alembic_version").fetchone()
            if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                fail(f"FILE: {file} fails SQLite's integrity check")
    except sqlite3.DatabaseError as error:
        fail(f"FILE: {file} is not a prevent-ig backup ({error})")
    if not yes:
        fail("restoring replaces every record in the current database: repeat with --yes")
    with records.new_unit_of_work() as uow:
        replaced_count, replaced_head = audit_service.chain_head(uow=uow)
    records.engine.dispose()
    with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as backup, sqlite3.connect(target) as live:
        backup.backup(live)
    # The events recorded since the backup are gone with everything else; the restored chain says so
    # itself, with the head it replaced, so the cut is on the record and not only in someone's memory.
    replaced = f"{replaced_head}:{replaced_count}"
    with records.new_unit_of_work() as uow:
        uow.audit.record(
            actor=CLI_ACTOR,
            event="records:restore",
            entity="database",
            change={"file": str(file), "replaced_head": replaced},
        )
        uow.commit()
    typer.echo(f"restored {target} from {file}")
    typer.echo(f"the chain it replaced ended at {replaced}: events after the backup are not in it")


def _sqlite_path(records: Records) -> str:
    if not is_sqlite(records.url):
        fail(
            "backup and restore are for the embedded SQLite database; for PostgreSQL use "
            "pg_dump and pg_restore (see docs/operations.md)"
        )
    database = make_url(records.url).database
    if not database:
        fail("the database URL names no file")
    return database
