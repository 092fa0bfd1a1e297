"""What every command shares: how it fails on bad input, how it opens the records, who it is."""

from datetime import date, datetime
from typing import Annotated, Any, NoReturn

import typer

from prevent_ig.adapters.engine_config_file import ConfigFileError
from prevent_ig.adapters.records.tables import MAX_ID
from prevent_ig.bootstrap import ConfigurationError, Records, build_records, today_in_england
from prevent_ig.domain.calendar.england_date import year_problem

BAD_INPUT = 2
"""Exit status for input the command cannot take (the usage error of most tools)."""
CLI_ACTOR = "cli"
"""The actor of what a command records: the server's operator, not a signed-in user."""
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# Record numbers are checked at the door (exit 2, naming the argument): an id past the database's
# integer range would otherwise reach it and end in a traceback.
CaseIdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The case number.")]
AssessmentIdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The assessment's number.")]
OutboxIdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The outbox message's number.")]


def fail(message: str) -> NoReturn:
    """Name the bad input and what is allowed on stderr, and exit 2: never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(BAD_INPUT)


def recorded_date(given: datetime | None) -> datetime | None:
    """The callback of every date option: a year out of range is refused with the option named
    (exit 2), before a deadline counted on from it could run off the calendar."""
    if given is not None and (problem := year_problem(given.date())) is not None:
        raise typer.BadParameter(problem)
    return given


def date_option(*names: str, help: str | None = None) -> Any:
    """A YYYY-MM-DD option, its year checked by ``recorded_date``: every date the CLI takes is one."""
    return typer.Option(*names, formats=["%Y-%m-%d"], callback=recorded_date, help=help)


def day_or_today(given: datetime | None) -> date:
    """The day a --today option gives, or today's date in England."""
    return given.date() if given else today_in_england()


def open_records() -> Records:
    try:
        return build_records()
    except (ConfigurationError, ConfigFileError) as error:
        fail(str(error))
