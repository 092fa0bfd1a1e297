"""Moving a case along the Prevent pathway, with the guards' facts read from the records."""

from dataclasses import asdict
from datetime import date

from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AssessmentRow, CaseEventRow, CaseRow, PartnerRequestRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.law.vocabulary import Purpose
from prevent_ig.domain.pathway.machine import (
    CaseState,
    DatedTooEarlyError,
    GuardFacts,
    Move,
    Request,
    Since,
    TransitionRefusedError,
    apply,
)
from prevent_ig.domain.pathway.stages import ExitReason, Stage
from prevent_ig.services.authority import current_assessments, why_not_authorised
from prevent_ig.services.case_state import state_of, write_state
from prevent_ig.services.cases import check_step_date, get_case_row, record_case_step
from prevent_ig.services.consents import (
    CHANNEL_SUPPORT,
    channel_consent_counts,
    consent_given_on,
    consent_in_force,
)
from prevent_ig.services.errors import InvalidFieldError, RefusedError, StaleVersionError

STAGE_CHANGE = "stage_change"
"""The timeline kind of a pathway move."""


def advance_case(
    *,
    uow: UnitOfWork,
    actor: str,
    case_id: int,
    move: Move,
    on: date,
    calendar: WorkingDayCalendar,
    exit_reason: ExitReason | None = None,
    information_request_on: date | None = None,
    information_request_id: int | None = None,
    expected_version: int | None = None,
) -> CaseState:
    """Make one pathway move, or refuse it with the guard's message; nothing changes on refusal.

    ``on`` is the day the move happened, often earlier than the day it is recorded. It may not come
    before the case was opened, the case's last move, or the record the move needs (the decision to
    refer, the decision not to, consent to support): each of those refusals names the date field and
    the first day allowed. The same day as any of them is allowed.

    ``information_request_id`` names the recorded partner request that asked for the information (for
    gather_information): its arrival is the day the information was asked for, and its own clock is
    the deadline from then on (``deadlines.next_due``)."""
    case = get_case_row(uow, case_id, for_update=True)
    if expected_version is not None and case.version != expected_version:
        raise StaleVersionError(
            f"case {case_id} changed since you loaded it (version {case.version}, not "
            f"{expected_version}); reload and try again"
        )
    # A move dated ahead would start its deadlines (information gathering, reviews) from a day not yet
    # come, and the due list would hide them until then.
    check_step_date(uow, on)
    if information_request_on is not None and information_request_on > uow.today():
        raise InvalidFieldError("information_request_on", "cannot be in the future")
    if move is not Move.GATHER_INFORMATION:
        # Every other move would ignore them: taken silently, the caller would think a deadline ran
        # from them.
        for field, given in (
            ("information_request_on", information_request_on),
            ("information_request_id", information_request_id),
        ):
            if given is not None:
                raise InvalidFieldError(field, "is given only when information gathering starts")
    if information_request_id is not None:
        information_request_on = _asked_by_request(
            uow, case_id, information_request_id, information_request_on
        )
    last_move = uow.session.scalar(
        select(func.max(CaseEventRow.on)).where(
            CaseEventRow.case_id == case_id, CaseEventRow.kind == STAGE_CHANGE
        )
    )
    if last_move is not None and on < last_move:
        # Moves happen in order: a closure dated before the panel that preceded it would set review
        # dates from a day the case was still open.
        raise InvalidFieldError("on", f"cannot be before {last_move}, when the case's last move was made")
    before = state_of(case)
    request = Request(
        move=move,
        on=on,
        exit_reason=exit_reason,
        information_request_on=information_request_on,
        information_request_id=information_request_id,
    )
    try:
        after = apply(before, request, guard_facts(uow, case, on), calendar)
    except DatedTooEarlyError as early:
        raise InvalidFieldError(early.field, early.message) from None
    except TransitionRefusedError as refusal:
        raise RefusedError(str(refusal)) from None
    write_state(case, after)
    case.version += 1
    case.updated_at = uow.now().replace(tzinfo=None)
    summary = f"{move.value.replace('_', ' ').capitalize()}."
    if exit_reason is not None:
        summary = f"Exited the pathway: {exit_reason.value.replace('_', ' ')}."
    record_case_step(
        uow,
        case_id=case.id,
        on=on,
        actor=actor,
        kind=STAGE_CHANGE,
        summary=summary,
        from_stage=before.stage,
        to_stage=after.stage,
        event="case:stage:change",
        entity=f"case:{case.id}",
        # The whole resulting state, dates and deadlines the move set included, not only the stages.
        change={
            "from": before.stage,
            "move": move,
            "on": on,
            "exit_reason": exit_reason,
            "after": asdict(after),
        },
    )
    uow.commit()
    return after


def _asked_by_request(uow: UnitOfWork, case_id: int, request_id: int, asked_on: date | None) -> date:
    """The day the named request arrived, once it is shown to be the one that can start information
    gathering: this case's (another case's deadline would be run by a stranger's request) and asking
    for Channel information gathering (Diagram 1; a police screening request has no pre-panel to
    meet). A date given as well must be the request's own, or the record would hold two."""
    found = uow.session.get(PartnerRequestRow, request_id)
    if found is None or found.case_id != case_id:
        raise InvalidFieldError(
            "information_request_id", f"case {case_id} has no partner request {request_id}"
        )
    if found.purpose != Purpose.CHANNEL_INFORMATION_GATHERING.value:
        raise InvalidFieldError(
            "information_request_id",
            f"request {request_id} is for {found.purpose.replace('_', ' ')}, "
            "not Channel information gathering",
        )
    if asked_on is not None and asked_on != found.received_on:
        raise InvalidFieldError(
            "information_request_on", f"must be {found.received_on}, when request {request_id} arrived"
        )
    return found.received_on


def guard_facts(uow: UnitOfWork, case: CaseRow, on: date) -> GuardFacts:
    referral = current_assessments(uow, case.id, Purpose.PREVENT_REFERRAL)
    authorising = [a for a in referral if why_not_authorised(uow, a, on=on) is None]
    consent_given = channel_consent_given(uow, case, on)
    return GuardFacts(
        followed_referral_assessment=bool(authorising),
        followed_no_referral_assessment=bool(referral) and not authorising,
        channel_consent=consent_given is not None,
        referral_decided=_first_decided(authorising),
        no_referral_decided=None if authorising else _first_decided(referral),
        channel_consent_given=consent_given,
    )


def _first_decided(rows: list[AssessmentRow]) -> Since | None:
    """The earliest of these decisions: any one of them is enough for the move, so the move may be
    dated from the first day one stood. (A referral recorded late under a decision since replaced is
    dated from the standing one: whether the replaced one authorised it then is not on the record.)"""
    first = min(rows, key=lambda row: (row.decided_on, row.id), default=None)
    return None if first is None else Since(first.decided_on, f"assessment {first.id} was decided")


def channel_consent_given(uow: UnitOfWork, case: CaseRow, on: date) -> Since | None:
    """When the latest Channel-support consent record, if not withdrawn, was given, if it meets CTSA
    2015 s36(4)(b): on the day of the move, or on the day it was given when that is later (support
    cannot start before anyone agreed to it, and the machine refuses a move dated before it). A
    parent's consent given at 17 no longer counts once the person is 18."""
    latest = consent_in_force(uow, case.id, CHANNEL_SUPPORT)
    if latest is None or not channel_consent_counts(latest, born=case.subject.date_of_birth, on=on):
        return None
    return Since(consent_given_on(latest), f"consent to Channel support was given (consent {latest.id})")


__all__ = ["Move", "Stage", "advance_case"]
