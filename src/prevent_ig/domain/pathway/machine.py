"""The pathway state machine: which moves are allowed, on what conditions, and what they record.

Pure functions over an immutable ``CaseState``: a refused move raises ``TransitionRefusedError`` with a
message a lead can act on, and never changes anything. The services layer gathers the facts the
guards need (was a referral assessment followed? is there Channel consent?) from the records.
"""

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.pathway.request_clock import respond_by
from prevent_ig.domain.pathway.reviews import review_dates
from prevent_ig.domain.pathway.stages import EXIT_STAGES, ClosureKind, ExitReason, Stage


class Move(StrEnum):
    REFER = "refer"
    START_SCREENING = "start_screening"
    GATHER_INFORMATION = "gather_information"
    TAKE_TO_PANEL = "take_to_panel"
    START_SUPPORT = "start_support"
    COMPLETE_SUPPORT = "complete_support"
    EXIT = "exit"
    CLOSE_WITHOUT_REFERRAL = "close_without_referral"
    RECORD_6_MONTH_REVIEW = "record_6_month_review"
    RECORD_12_MONTH_REVIEW = "record_12_month_review"
    ARCHIVE = "archive"


class TransitionRefusedError(ValueError):
    """The move is not allowed now; the message says why and what to do."""


class DatedTooEarlyError(TransitionRefusedError):
    """The move, or a date it carries, is dated before something it must follow: the record would
    say it happened first. ``field`` names the date at fault and ``earliest`` the first day allowed
    (that day itself is allowed: a referral made the day it was decided is in order)."""

    def __init__(self, field: str, earliest: date, since: str) -> None:
        self.field = field
        self.earliest = earliest
        self.message = f"cannot be before {earliest}, when {since}"
        super().__init__(f"{field}: {self.message}")


@dataclass(frozen=True, slots=True)
class Since:
    """A record a move needs and the day it dates from, in words for the user (ids, no personal data)."""

    on: date
    what: str
    """What happened that day, e.g. "assessment 4 was decided"."""


@dataclass(frozen=True, slots=True)
class CaseState:
    stage: Stage
    opened_on: date
    closed_on: date | None = None
    closure: ClosureKind | None = None
    exit_reason: ExitReason | None = None
    information_request_on: date | None = None
    information_due_on: date | None = None
    information_request_id: int | None = None
    """The recorded partner request that asked for the information, if the lead named it. Its own
    clock (stopped and restarted by clarifications, closed by the answer) is then the deadline, and the
    case keeps none of its own beside it (``deadlines.next_due``)."""
    review_6_due_on: date | None = None
    review_12_due_on: date | None = None


@dataclass(frozen=True, slots=True)
class GuardFacts:
    """What the records say, for the guards. Gathered by the service layer."""

    followed_referral_assessment: bool = False
    """An assessment for purpose prevent_referral decided `share` and the lead followed it."""
    followed_no_referral_assessment: bool = False
    """An assessment for purpose prevent_referral exists whose conclusion the lead recorded."""
    channel_consent: bool = False
    """Consent to Channel support as the rules define it (CTSA 2015 s36(4)(b))."""
    referral_decided: Since | None = None
    """When the earliest decision that authorises the referral was made; ``None``: no date to keep to."""
    no_referral_decided: Since | None = None
    """When the earliest decision on the referral question that the closure rests on was made."""
    channel_consent_given: Since | None = None
    """When the consent to Channel support was given."""


@dataclass(frozen=True, slots=True)
class Request:
    move: Move
    on: date
    exit_reason: ExitReason | None = None
    information_request_on: date | None = None
    """For gather_information: the day the panel's request arrived (default: ``on``)."""
    information_request_id: int | None = None
    """For gather_information: the recorded partner request that asked, if there is one. The service
    checks it is this case's and for Channel information gathering, and passes its arrival as
    ``information_request_on``."""


SIMPLE_MOVES: dict[Move, tuple[Stage, Stage]] = {
    Move.REFER: (Stage.CONCERN_RAISED, Stage.REFERRED),
    Move.START_SCREENING: (Stage.REFERRED, Stage.POLICE_SCREENING),
    Move.GATHER_INFORMATION: (Stage.POLICE_SCREENING, Stage.INFORMATION_GATHERING),
    Move.TAKE_TO_PANEL: (Stage.INFORMATION_GATHERING, Stage.CHANNEL_PANEL),
    Move.START_SUPPORT: (Stage.CHANNEL_PANEL, Stage.SUPPORT_PLAN),
    Move.COMPLETE_SUPPORT: (Stage.SUPPORT_PLAN, Stage.CLOSED),
    Move.CLOSE_WITHOUT_REFERRAL: (Stage.CONCERN_RAISED, Stage.CLOSED),
    Move.RECORD_6_MONTH_REVIEW: (Stage.CLOSED, Stage.REVIEW_6_MONTHS),
    Move.RECORD_12_MONTH_REVIEW: (Stage.REVIEW_6_MONTHS, Stage.REVIEW_12_MONTHS),
    Move.ARCHIVE: (Stage.REVIEW_12_MONTHS, Stage.ARCHIVED),
}


def allowed_moves(state: CaseState) -> list[Move]:
    """The moves the stage allows (guards are checked only when a move is made)."""
    moves = [move for move, (source, _) in SIMPLE_MOVES.items() if source is state.stage]
    if state.stage in EXIT_STAGES:
        moves.append(Move.EXIT)
    return moves


def apply(state: CaseState, request: Request, facts: GuardFacts, calendar: WorkingDayCalendar) -> CaseState:
    """Make one move, or raise ``TransitionRefusedError`` explaining why not."""
    move = request.move
    if request.on < state.opened_on:
        raise DatedTooEarlyError("on", state.opened_on, "the case was opened")
    if move is not Move.EXIT and request.exit_reason is not None:
        raise TransitionRefusedError("An exit reason is given only when a case exits the pathway.")
    if move not in allowed_moves(state):
        allowed = ", ".join(m.value for m in allowed_moves(state)) or "none"
        raise TransitionRefusedError(
            f"'{move.value}' is not possible from stage '{state.stage.value}'. Allowed now: {allowed}."
        )
    if move is Move.EXIT:
        return _exit(state, request)
    _check_guards(move, request.on, facts)
    target = SIMPLE_MOVES[move][1]
    if move is Move.GATHER_INFORMATION:
        asked = request.information_request_on or request.on
        # The 5-working-day deadline counts from the request: a day before the case existed would make
        # it fall due before anyone could have asked, and gathering cannot start before it was asked for
        # (a request dated after the move would also push the deadline out).
        if asked < state.opened_on:
            raise DatedTooEarlyError("information_request_on", state.opened_on, "the case was opened")
        if request.on < asked:
            raise DatedTooEarlyError("on", asked, "the panel's request for information arrived")
        due = respond_by(calendar, asked)
        return replace(
            state,
            stage=target,
            information_request_on=asked,
            information_due_on=due,
            information_request_id=request.information_request_id,
        )
    if move is Move.COMPLETE_SUPPORT:
        return _close(state, request.on, ClosureKind.COMPLETED, None)
    if move is Move.CLOSE_WITHOUT_REFERRAL:
        return _close(state, request.on, ClosureKind.NOT_REFERRED, None)
    return replace(state, stage=target)


def _check_guards(move: Move, on: date, facts: GuardFacts) -> None:
    if move is Move.REFER and not facts.followed_referral_assessment:
        raise TransitionRefusedError(
            "A referral needs a sharing assessment for purpose 'prevent_referral' whose outcome was "
            "'share' and which the lead followed (guidance §3 and §6). Record that assessment first."
        )
    if move is Move.START_SUPPORT and not facts.channel_consent:
        raise TransitionRefusedError(
            "Channel support is voluntary: record consent to support first, from the person if 18 or "
            "over and able to decide, or from a parent or guardian if under 18 (CTSA2015.s36.4.b, "
            "guidance §7)."
        )
    if move is Move.CLOSE_WITHOUT_REFERRAL and not facts.followed_no_referral_assessment:
        raise TransitionRefusedError(
            "Closing a concern without a referral needs a recorded sharing assessment for purpose "
            "'prevent_referral' and the lead's decision on it, so the reasoning is on file (§6)."
        )
    # A move recorded late keeps the day it happened, but that day cannot come before what allowed it:
    # a referral dated before the decision to share would say information went out with no lawful
    # decision yet made (guidance §3), support dated before consent would say it was not voluntary.
    needed = {
        Move.REFER: facts.referral_decided,
        Move.START_SUPPORT: facts.channel_consent_given,
        Move.CLOSE_WITHOUT_REFERRAL: facts.no_referral_decided,
    }.get(move)
    if needed is not None and on < needed.on:
        raise DatedTooEarlyError("on", needed.on, needed.what)


def _exit(state: CaseState, request: Request) -> CaseState:
    if request.exit_reason is None:
        reasons = ", ".join(r.value for r in ExitReason)
        raise TransitionRefusedError(f"An exit needs a reason: one of {reasons}.")
    return _close(state, request.on, ClosureKind.EXITED, request.exit_reason)


def _close(state: CaseState, on: date, kind: ClosureKind, reason: ExitReason | None) -> CaseState:
    six, twelve = review_dates(on)
    return replace(
        state,
        stage=Stage.CLOSED,
        closed_on=on,
        closure=kind,
        exit_reason=reason,
        review_6_due_on=six,
        review_12_due_on=twelve,
    )
