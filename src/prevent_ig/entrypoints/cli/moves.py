"""``prevent-ig cases move``: a pathway move from the server, through the use case the web and API use."""

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

import typer

from prevent_ig.adapters.records.tables import MAX_ID, CaseRow
from prevent_ig.domain.pathway.deadlines import next_due
from prevent_ig.domain.pathway.machine import CaseState, Move
from prevent_ig.domain.pathway.request_clock import RESPONSE_WORKING_DAYS
from prevent_ig.domain.pathway.stages import ExitReason, Stage
from prevent_ig.entrypoints.cli.common import (
    CLI_ACTOR,
    CaseIdArgument,
    JsonOption,
    date_option,
    fail,
    open_records,
)
from prevent_ig.services.errors import (
    InvalidFieldError,
    NotFoundError,
    RefusedError,
    ServiceError,
    StaleVersionError,
)
from prevent_ig.services.pathway import advance_case

OPTION_OF_FIELD = {
    "on": "--on",
    "information_request_on": "--information-request-on",
    "information_request_id": "--information-request-id",
}
"""The service names the date at fault by its field; the user typed the option."""


def move_command(
    case_id: CaseIdArgument,
    move: Annotated[Move, typer.Argument(help="The move to make (`cases show` lists those allowed now).")],
    on: Annotated[
        datetime | None,
        date_option("--on", help="The day the move happened (YYYY-MM-DD); default today. Not after today."),
    ] = None,
    exit_reason: Annotated[
        ExitReason | None, typer.Option("--exit-reason", help="Why the case leaves the pathway (exit only).")
    ] = None,
    information_request_on: Annotated[
        datetime | None,
        date_option(
            "--information-request-on",
            help="gather_information only: the day the panel's request arrived (default --on).",
        ),
    ] = None,
    information_request_id: Annotated[
        int | None,
        typer.Option(
            "--information-request-id",
            min=1,
            max=MAX_ID,
            help="gather_information only: the case's recorded Channel request that asked; its own due "
            "date is then the deadline.",
        ),
    ] = None,
    expected_version: Annotated[
        int | None,
        typer.Option(
            "--expected-version",
            min=1,
            max=MAX_ID,
            help="The case version you last read (`cases show`); refused if the case changed since.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Move a case along the Prevent and Channel pathway, with the checks the web and API make."""
    # Checked here, not left to the machine, so the refusal names the option to change; the web form
    # likewise asks for a reason only with an exit and for the request's day only with gathering.
    if move is Move.EXIT and exit_reason is None:
        fail(f"--exit-reason: an exit needs a reason: one of {', '.join(r.value for r in ExitReason)}")
    if move is not Move.EXIT and exit_reason is not None:
        fail(f"--exit-reason: only with the move {Move.EXIT.value}")
    records = open_records()
    try:
        with records.new_unit_of_work() as uow:
            after = advance_case(
                uow=uow,
                actor=CLI_ACTOR,
                case_id=case_id,
                move=move,
                on=on.date() if on else records.today(),
                calendar=records.engine_config.calendar,
                exit_reason=exit_reason,
                information_request_on=information_request_on.date() if information_request_on else None,
                information_request_id=information_request_id,
                expected_version=expected_version,
            )
            # The row the use case just committed, from its session (as the API answers): no re-read.
            row = uow.session.get(CaseRow, case_id)
            assert row is not None
            version = row.version
    except InvalidFieldError as error:
        fail(
            f"{OPTION_OF_FIELD[error.field]}: {error.message}"
            if error.field in OPTION_OF_FIELD
            else str(error)
        )
    except StaleVersionError as error:
        fail(f"--expected-version: {error}")
    except NotFoundError as error:
        fail(f"CASE_ID: {error}")
    except RefusedError as error:
        fail(f"MOVE: {error}")
    except ServiceError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps(state_json(case_id, version, after)))
        return
    typer.echo("\n".join(describe(case_id, version, after)))


def state_json(case_id: int, version: int, state: CaseState) -> dict[str, object]:
    due = next_due(state)
    return {
        "id": case_id,
        "version": version,
        **{
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in asdict(state).items()
        },
        "next_due_on": due[0].isoformat() if due else None,
        "next_due_kind": due[1].value if due else None,
    }


def describe(case_id: int, version: int, state: CaseState) -> list[str]:
    """The stage the case is now at and the deadlines the move set, in the words `cases show` uses."""
    lines = [f"case {case_id}: {state.stage} (version {version})"]
    if state.closed_on is not None:
        reason = f", {state.exit_reason}" if state.exit_reason else ""
        lines.append(f"closed {state.closed_on} ({state.closure}{reason})")
    if state.stage is Stage.INFORMATION_GATHERING and state.information_request_id is not None:
        lines.append(
            f"information gathering asked for by partner request {state.information_request_id} on "
            f"{state.information_request_on}: its own due date is the deadline (`cases show`)"
        )
    elif state.stage is Stage.INFORMATION_GATHERING:
        lines.append(
            f"information gathering due {state.information_due_on} ({RESPONSE_WORKING_DAYS} working days "
            f"from the panel's request on {state.information_request_on})"
        )
    elif state.stage is Stage.CLOSED:
        lines.append(
            f"6-month review due {state.review_6_due_on}; 12-month review due {state.review_12_due_on}"
        )
    elif state.stage is Stage.REVIEW_6_MONTHS:
        lines.append(f"12-month review due {state.review_12_due_on}")
    else:
        lines.append("next due: -")
    return lines
