"""A case's own next deadline, derived from its pathway state (kept on the row for indexed queries)."""

from datetime import date
from enum import StrEnum

from prevent_ig.domain.pathway.machine import CaseState
from prevent_ig.domain.pathway.stages import Stage


class DueKind(StrEnum):
    INFORMATION_GATHERING = "information_gathering"
    REVIEW_6_MONTHS = "review_6_months"
    REVIEW_12_MONTHS = "review_12_months"
    PARTNER_REQUEST = "partner_request"


def next_due(state: CaseState) -> tuple[date, DueKind] | None:
    if state.stage is Stage.INFORMATION_GATHERING and state.information_due_on:
        return state.information_due_on, DueKind.INFORMATION_GATHERING
    if state.stage is Stage.CLOSED and state.review_6_due_on:
        return state.review_6_due_on, DueKind.REVIEW_6_MONTHS
    if state.stage is Stage.REVIEW_6_MONTHS and state.review_12_due_on:
        return state.review_12_due_on, DueKind.REVIEW_12_MONTHS
    return None
