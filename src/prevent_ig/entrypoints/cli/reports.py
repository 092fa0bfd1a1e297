"""Reports for oversight from the command line: partner requests answered on time, for a board pack
made on the server or an auditor without a browser. The same use case as the web's /oversight, audited
the same way (a report read, or exported when it is written to a file)."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, TextIO

import typer

from prevent_ig.entrypoints.cli.common import CLI_ACTOR, JsonOption, date_option, fail, open_records
from prevent_ig.services.errors import InvalidFieldError, ServiceError
from prevent_ig.services.oversight import (
    DEFAULT_DAYS,
    Timeliness,
    TimelinessReport,
    report_csv,
    timeliness_report,
)

report_app = typer.Typer(
    help="Reports for oversight (organisations and case ids only).", no_args_is_help=True
)


@report_app.command("requests")
def requests_report(
    start: Annotated[
        datetime | None,
        date_option("--from", help="First day received (default: 91 days ago)."),
    ] = None,
    end: Annotated[
        datetime | None,
        date_option("--to", help="Last day received (default: today)."),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the report as CSV to this new file.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Partner requests received in a period: each judged on time, late, open or waiting, and counted."""
    target = _new_file(csv) if csv is not None else None
    records = open_records()
    today = records.today()
    first = start.date() if start else today - timedelta(days=DEFAULT_DAYS)
    last = end.date() if end else today
    try:
        with records.new_unit_of_work() as uow:
            report = timeliness_report(
                uow=uow,
                actor=CLI_ACTOR,
                start=first,
                end=last,
                today=today,
                calendar=records.engine_config.calendar,
                exported=csv is not None,
            )
    except ServiceError as error:
        if target is not None and csv is not None:
            target.close()
            csv.unlink()
        # The service names the period's end; the option to change is the one the user gave.
        option = "--to" if end is not None else "--from"
        fail(f"{option}: {error.message}" if isinstance(error, InvalidFieldError) else str(error))
    if target is not None:
        with target:
            # With a byte-order mark, as the web download has, for spreadsheets to read UTF-8.
            target.write("\ufeff" + report_csv(report))
    if as_json:
        typer.echo(report_json(report))
        return
    typer.echo(summary(report), nl=False)
    if csv is not None:
        typer.echo(f"wrote {len(report.requests)} requests to {csv}")


def _new_file(path: Path) -> TextIO:
    """The file to write, made now and only if it is new (no report ever overwrites another)."""
    try:
        return path.open("x", encoding="utf-8", newline="")
    except FileExistsError:
        fail(f"--csv: {path} exists; choose a new name so no report is overwritten")
    except OSError as error:
        fail(f"--csv: cannot write {path} ({error.strerror})")


def summary(report: TimelinessReport) -> str:
    lines = [f"{len(report.requests)} partner requests received {report.start} to {report.end}:"]
    lines += [f"  {t.value.replace('_', ' ')}: {report.count(t)}" for t in Timeliness]
    share = report.answered_on_time_share
    lines.append(f"  answered on time: {'none answered' if share is None else f'{share:.0%}'}")
    guidance = report.guidance_deadline_on_time_share
    lines.append(
        "  of them Channel information gathering (the guidance's deadline): "
        + ("none answered" if guidance is None else f"{guidance:.0%} on time")
    )
    return "\n".join(lines) + "\n"


def report_json(report: TimelinessReport) -> str:
    return json.dumps(
        {
            "from": report.start.isoformat(),
            "to": report.end.isoformat(),
            "counts": {t.value: report.count(t) for t in Timeliness},
            "answered_on_time_share": report.answered_on_time_share,
            "guidance_deadline_on_time_share": report.guidance_deadline_on_time_share,
            "requests": [
                {
                    "request_id": r.request_id,
                    "case_id": r.case_id,
                    "organisation": r.organisation,
                    "purpose": r.purpose,
                    "received_on": r.received_on.isoformat(),
                    "due_on": r.due_on.isoformat(),
                    "answered_on": r.answered_on.isoformat() if r.answered_on else None,
                    "working_days_on_the_clock": r.working_days_taken,
                    "timeliness": r.timeliness.value,
                }
                for r in report.requests
            ],
        }
    )
