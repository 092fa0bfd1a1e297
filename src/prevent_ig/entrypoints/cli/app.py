"""``prevent-ig``: assess sharing questions, check addresses and deadlines, print the contract.

Exit codes: 0 for any valid assessment whatever its outcome; 2 for bad input, with each bad field
named on standard error and never a traceback.
"""

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from pydantic import ValidationError

from prevent_ig.adapters.engine_config_file import ConfigFileError, load_engine_config
from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.catalogue import load_catalogue
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.input_checks import AssessmentInputError, parse_assessment
from prevent_ig.domain.law.record_note import render_record_note
from prevent_ig.domain.pathway.request_clock import RESPONSE_WORKING_DAYS
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, check_email
from prevent_ig.entrypoints.cli import documents, moves, records, reports, web
from prevent_ig.entrypoints.cli.common import BAD_INPUT, date_option, day_or_today, fail
from prevent_ig.entrypoints.cli.render import render_catalogue, render_decision
from prevent_ig.settings import EngineSettings, settings_problem

app = typer.Typer(
    name="prevent-ig",
    help="Lawful, proportionate and timely information sharing for Prevent and Channel.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DateOption = Annotated[
    datetime | None,
    date_option(help="The decision date (YYYY-MM-DD); default today."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Engine configuration YAML (accredited domains, holiday overrides); "
        "default $PREVENT_IG_ENGINE_CONFIG.",
    ),
]


def _engine_config(path: Path | None) -> EngineConfig:
    try:
        return load_engine_config(path or EngineSettings().engine_config)
    except ConfigFileError as error:
        fail(str(error))


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as error:
        fail(f"FILE: cannot read {source} ({error.strerror})")


@app.command("assess")
def assess_command(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="Input JSON, or - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the output object only.")] = False,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One input per line in, one output per line out.")
    ] = False,
    note: Annotated[
        bool, typer.Option("--note", help="Also print the note for the patient or staff record.")
    ] = False,
    today: DateOption = None,
    config: ConfigOption = None,
) -> None:
    """Assess whether, what and how to share, citing the provisions."""
    engine_config = _engine_config(config)
    decided_on = day_or_today(today)
    if jsonl:
        _assess_lines(source, engine_config, decided_on)
        return
    try:
        assessment = parse_assessment(_read_source(source), decided_on=decided_on)
    except AssessmentInputError as error:
        for problem in error.problems:
            typer.echo(f"error: {problem.field}: {problem.message}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    decision = assess(assessment, engine_config, today=decided_on)
    if as_json:
        typer.echo(decision.model_dump_json())
        return
    typer.echo(render_decision(decision), nl=False)
    if note:
        typer.echo("\nRecord note:\n" + render_record_note(assessment, decision), nl=False)


def _assess_lines(source: str, config: EngineConfig, today: date) -> None:
    """Stream JSON lines; a bad line gets an error object in its place and exit 2 at the end."""
    stream = sys.stdin.buffer if source == "-" else _open(source)
    out = sys.stdout
    bad = 0
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            decision = assess(parse_assessment(line, decided_on=today), config, today=today)
        except AssessmentInputError as error:
            bad += 1
            problems = [p.as_dict() for p in error.problems]
            out.write(json.dumps({"line": number, "errors": problems}) + "\n")
            continue
        out.write(decision.model_dump_json() + "\n")
    out.flush()
    if bad:
        typer.echo(f"error: {bad} invalid line(s); see the error objects in the output", err=True)
        raise typer.Exit(BAD_INPUT)


def _open(source: str) -> BinaryIO:
    try:
        return Path(source).open("rb")  # closed when the process ends
    except OSError as error:
        fail(f"FILE: cannot read {source} ({error.strerror})")


@app.command("check-email")
def check_email_command(
    address: Annotated[str, typer.Argument(help="The recipient's email address.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    today: DateOption = None,
    config: ConfigOption = None,
) -> None:
    """Is this address secure, or does the subject need \\[secure]? (guidance Diagram 2)

    Judged on the configuration file's accredited domains only: this command does not read the
    database, so a domain only in the register counts as not secure here (the web, API and mail
    commands read both)."""
    engine_config = _engine_config(config)
    decided_on = day_or_today(today)
    try:
        result = check_email(address, accredited_domains=engine_config.accredited_on(decided_on))
    except MalformedAddressError as error:
        fail(f"ADDRESS: not a valid email address: {error}")
    payload = {
        "address": result.address,
        "domain": result.domain,
        "secure": result.secure,
        "requires_secure_tag": result.requires_secure_tag,
    }
    if as_json:
        typer.echo(json.dumps(payload))
    elif result.secure:
        typer.echo(f"{result.address}: secure domain ({result.domain}); no tag needed")
    else:
        typer.echo(f"{result.address}: not secure ({result.domain}); put [secure] in the subject")


@app.command("due-date")
def due_date_command(
    received: Annotated[
        datetime,
        date_option(help="Date received (YYYY-MM-DD), day 0."),
    ],
    working_days: Annotated[int, typer.Option(min=0, max=260)] = RESPONSE_WORKING_DAYS,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """The due date, counting England working days from the day after receipt."""
    start = received.date()
    due = _engine_config(config).calendar.add_working_days(start, working_days)
    if as_json:
        typer.echo(json.dumps({"received": start.isoformat(), "due": due.isoformat()}))
    else:
        typer.echo(f"received {start:%A %d %B %Y}: due {due:%A %d %B %Y}")


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schemas of the assessment input and output."""
    typer.echo(json.dumps(schemas(), indent=2, sort_keys=True))


def schemas() -> dict[str, object]:
    return {
        "input": Assessment.model_json_schema(),
        "output": Decision.model_json_schema(mode="serialization"),
    }


@app.command("provisions")
def provisions_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the provisions the engine may cite, with our plain-English summaries."""
    catalogue = load_catalogue()
    if as_json:
        typer.echo(catalogue.model_dump_json(indent=2))
    else:
        typer.echo(render_catalogue(catalogue), nl=False)


app.add_typer(records.db_app, name="db")
records.cases_app.command("move")(moves.move_command)
app.add_typer(records.cases_app, name="cases")
app.add_typer(records.audit_app, name="audit")
app.add_typer(reports.report_app, name="report")
app.command("demo-data")(records.demo_data_command)
app.command("backup")(records.backup_command)
app.command("restore")(records.restore_command)
app.add_typer(documents.documents_app, name="documents")
app.add_typer(documents.mail_app, name="mail")
app.add_typer(documents.requests_app, name="requests")
app.add_typer(web.users_app, name="users")
app.add_typer(web.demo_app, name="demo")
app.add_typer(web.tokens_app, name="tokens")
app.command("openapi")(web.openapi_command)
app.command("serve")(web.serve_command)


DATABASE_UNAVAILABLE_EXIT = 75
"""EX_TEMPFAIL of sysexits.h: a temporary failure; the same command may succeed later."""


def main() -> None:
    try:
        app()
    except ValidationError as error:
        problem = settings_problem(error)
        if problem is None:
            raise
        typer.echo(f"error: a setting in the environment cannot be used: {problem}", err=True)
        raise SystemExit(BAD_INPUT) from None
    except Exception as error:
        # Imported here: they load SQLAlchemy and the PostgreSQL driver, which `prevent-ig assess` never
        # needs.
        from prevent_ig.adapters.records.availability import described, is_database_unavailable  # noqa: PLC0415
        from prevent_ig.adapters.records.text_limits import TextTooLongError  # noqa: PLC0415

        if isinstance(error, TextTooLongError):  # refused before it was written, whichever command
            typer.echo(f"error: {error}", err=True)
            raise SystemExit(BAD_INPUT) from None
        if not is_database_unavailable(error):
            raise
        typer.echo(
            f"prevent-ig: the database could not take this command just now ({described(error)}): it is "
            "busy, unreachable or refusing connections. Try again shortly.",
            err=True,
        )
        raise SystemExit(DATABASE_UNAVAILABLE_EXIT) from None
