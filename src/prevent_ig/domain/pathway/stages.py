"""Stages of a Prevent case and the reasons a case can leave the pathway early (guidance Diagram 1)."""

from enum import StrEnum


class Stage(StrEnum):
    CONCERN_RAISED = "concern_raised"
    """Notice, check, share: a member of staff has raised a concern with the Prevent lead."""
    REFERRED = "referred"
    POLICE_SCREENING = "police_screening"
    INFORMATION_GATHERING = "information_gathering"
    CHANNEL_PANEL = "channel_panel"
    SUPPORT_PLAN = "support_plan"
    CLOSED = "closed"
    REVIEW_6_MONTHS = "review_6_months"
    REVIEW_12_MONTHS = "review_12_months"
    ARCHIVED = "archived"


PATHWAY_ORDER: tuple[Stage, ...] = tuple(Stage)

EXIT_STAGES = frozenset(
    {
        Stage.POLICE_SCREENING,
        Stage.INFORMATION_GATHERING,
        Stage.CHANNEL_PANEL,
        Stage.SUPPORT_PLAN,
    }
)
"""Diagram 1: a case can leave the pathway at any point from police screening to support."""


class ExitReason(StrEnum):
    """Why a case left the pathway before completing support (guidance Diagram 1)."""

    SIGNPOSTED = "signposted"
    """Signposted to other services."""
    ESCALATED_POLICE_LED = "escalated_police_led"
    """Risk increased: escalated to police-led space."""
    NON_CONSENT = "non_consent"
    """The person did not consent to Channel support."""
    NO_OR_REDUCED_VULNERABILITY = "no_or_reduced_vulnerability"
    """No vulnerability, or vulnerability reduced."""


class ClosureKind(StrEnum):
    COMPLETED = "completed"
    """Support plan finished."""
    EXITED = "exited"
    """Left the pathway early with an exit reason."""
    NOT_REFERRED = "not_referred"
    """The lead decided, after an assessment, that the concern did not need a Prevent referral."""
