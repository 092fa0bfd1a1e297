"""Translate between a case's database row and the domain's pathway state."""

from datetime import date
from typing import Protocol

from prevent_ig.adapters.records.tables import CaseRow
from prevent_ig.domain.pathway.deadlines import next_due
from prevent_ig.domain.pathway.machine import CaseState
from prevent_ig.domain.pathway.stages import ClosureKind, ExitReason, Stage


class StateColumns(Protocol):
    """What ``state_of`` reads: a mapped ``CaseRow``, or a row a Core select of those columns returned."""

    stage: str
    opened_on: date
    closed_on: date | None
    closure: str | None
    exit_reason: str | None
    information_request_on: date | None
    information_due_on: date | None
    information_request_id: int | None
    review_6_due_on: date | None
    review_12_due_on: date | None


def state_of(row: StateColumns) -> CaseState:
    return CaseState(
        stage=Stage(row.stage),
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        closure=ClosureKind(row.closure) if row.closure else None,
        exit_reason=ExitReason(row.exit_reason) if row.exit_reason else None,
        information_request_on=row.information_request_on,
        information_due_on=row.information_due_on,
        information_request_id=row.information_request_id,
        review_6_due_on=row.review_6_due_on,
        review_12_due_on=row.review_12_due_on,
    )


def write_state(row: CaseRow, state: CaseState) -> None:
    row.stage = state.stage.value
    row.closed_on = state.closed_on
    row.closure = state.closure.value if state.closure else None
    row.exit_reason = state.exit_reason.value if state.exit_reason else None
    row.information_request_on = state.information_request_on
    row.information_due_on = state.information_due_on
    row.information_request_id = state.information_request_id
    row.review_6_due_on = state.review_6_due_on
    row.review_12_due_on = state.review_12_due_on
    due = next_due(state)
    row.next_due_on = due[0] if due else None
    row.next_due_kind = due[1].value if due else None
