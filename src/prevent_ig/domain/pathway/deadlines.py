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
    """The case's own deadline. Information gathering has none of its own when the lead named the
    recorded request that asked for it: that request's clock is the same 5 working days (Diagram 1,
    ``request_clock``), and it alone knows when a clarification stopped or restarted it and when it
    was answered. Kept on the case as well, the two would disagree after a clarification, and the due
    list would call the case overdue while the lead waits for the requestor, or after they answered."""
    if (
        state.stage is Stage.INFORMATION_GATHERING
        and state.information_due_on
        and state.information_request_id is None
    ):
        return state.information_due_on, DueKind.INFORMATION_GATHERING
    if state.stage is Stage.CLOSED and state.review_6_due_on:
        return state.review_6_due_on, DueKind.REVIEW_6_MONTHS
    if state.stage is Stage.REVIEW_6_MONTHS and state.review_12_due_on:
        return state.review_12_due_on, DueKind.REVIEW_12_MONTHS
    return None
