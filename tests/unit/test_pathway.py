"""The pathway state machine (guidance Diagram 1): allowed moves, guards, deadlines and reviews."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.pathway.deadlines import DueKind, next_due
from prevent_ig.domain.pathway.machine import (
    CaseState,
    DatedTooEarlyError,
    GuardFacts,
    Move,
    Request,
    Since,
    TransitionRefusedError,
    allowed_moves,
    apply,
)
from prevent_ig.domain.pathway.reviews import add_months, review_dates
from prevent_ig.domain.pathway.stages import EXIT_STAGES, PATHWAY_ORDER, ClosureKind, ExitReason, Stage

CAL = WorkingDayCalendar()
OPENED = date(2026, 1, 5)
ALL_FACTS = GuardFacts(followed_referral_assessment=True, channel_consent=True)


def at(stage: Stage) -> CaseState:
    return CaseState(stage=stage, opened_on=OPENED)


def move(
    state: CaseState, m: Move, on: date = date(2026, 2, 2), facts: GuardFacts = ALL_FACTS, **kw: object
) -> CaseState:
    return apply(state, Request(move=m, on=on, **kw), facts, CAL)  # type: ignore[arg-type]


def test_the_full_pathway_in_order() -> None:
    state = at(Stage.CONCERN_RAISED)
    for m in (
        Move.REFER,
        Move.START_SCREENING,
        Move.GATHER_INFORMATION,
        Move.TAKE_TO_PANEL,
        Move.START_SUPPORT,
        Move.COMPLETE_SUPPORT,
        Move.RECORD_6_MONTH_REVIEW,
        Move.RECORD_12_MONTH_REVIEW,
        Move.ARCHIVE,
    ):
        state = move(state, m)
    assert state.stage is Stage.ARCHIVED
    assert state.closure is ClosureKind.COMPLETED
    assert allowed_moves(state) == []


def test_referral_needs_a_followed_share_assessment() -> None:
    with pytest.raises(TransitionRefusedError, match="prevent_referral"):
        move(at(Stage.CONCERN_RAISED), Move.REFER, facts=GuardFacts())
    assert move(at(Stage.CONCERN_RAISED), Move.REFER).stage is Stage.REFERRED


def test_support_plan_needs_channel_consent() -> None:
    with pytest.raises(TransitionRefusedError, match=r"CTSA2015\.s36\.4\.b"):
        move(at(Stage.CHANNEL_PANEL), Move.START_SUPPORT, facts=GuardFacts(followed_referral_assessment=True))


def test_closing_an_unreferred_concern_needs_a_recorded_decision() -> None:
    with pytest.raises(TransitionRefusedError, match="sharing assessment"):
        move(at(Stage.CONCERN_RAISED), Move.CLOSE_WITHOUT_REFERRAL, facts=GuardFacts())
    closed = move(
        at(Stage.CONCERN_RAISED),
        Move.CLOSE_WITHOUT_REFERRAL,
        facts=GuardFacts(followed_no_referral_assessment=True),
    )
    assert closed.closure is ClosureKind.NOT_REFERRED


def test_information_gathering_deadline_is_five_working_days_from_the_request() -> None:
    state = move(
        at(Stage.POLICE_SCREENING),
        Move.GATHER_INFORMATION,
        on=date(2026, 12, 23),
        information_request_on=date(2026, 12, 22),
    )
    assert state.information_request_on == date(2026, 12, 22)
    assert state.information_due_on == date(2026, 12, 31)


def test_information_gathering_asked_by_a_recorded_request_leaves_the_deadline_to_that_request() -> None:
    """The request's own clock is the deadline (clarifications stop and restart it, the answer meets
    it), so the case must not keep a second one that would disagree (services/pathway)."""
    asked, on = date(2026, 12, 22), date(2026, 12, 23)
    unnamed = move(at(Stage.POLICE_SCREENING), Move.GATHER_INFORMATION, on, information_request_on=asked)
    named = move(
        at(Stage.POLICE_SCREENING),
        Move.GATHER_INFORMATION,
        on,
        information_request_on=asked,
        information_request_id=7,
    )
    assert next_due(unnamed) == (date(2026, 12, 31), DueKind.INFORMATION_GATHERING)
    assert (named.information_request_id, named.information_due_on) == (7, date(2026, 12, 31))
    assert next_due(named) is None
    # The link is kept past the stage, as the record of what started it; later deadlines are the case's.
    closed = move(move(named, Move.TAKE_TO_PANEL, on), Move.EXIT, on, exit_reason=ExitReason.NON_CONSENT)
    assert closed.information_request_id == 7 and next_due(closed) == (
        closed.review_6_due_on,
        DueKind.REVIEW_6_MONTHS,
    )


def test_after_closure_the_next_deadline_is_the_6_month_review_then_the_12_month_then_none() -> None:
    """Diagram 1: reviews at 6 and 12 months after closure. Each review recorded moves the case's
    deadline on to the next; after the 12-month review the case has none left."""
    closed = move(at(Stage.SUPPORT_PLAN), Move.COMPLETE_SUPPORT, on=date(2026, 8, 31))
    assert next_due(closed) == (date(2027, 2, 28), DueKind.REVIEW_6_MONTHS)
    reviewed_6 = move(closed, Move.RECORD_6_MONTH_REVIEW, on=date(2027, 2, 26))
    assert next_due(reviewed_6) == (date(2027, 8, 31), DueKind.REVIEW_12_MONTHS)
    reviewed_12 = move(reviewed_6, Move.RECORD_12_MONTH_REVIEW, on=date(2027, 8, 31))
    assert next_due(reviewed_12) is None
    assert next_due(move(reviewed_12, Move.ARCHIVE, on=date(2027, 9, 1))) is None


@pytest.mark.parametrize(
    "stage",
    [Stage.CONCERN_RAISED, Stage.REFERRED, Stage.POLICE_SCREENING, Stage.CHANNEL_PANEL, Stage.SUPPORT_PLAN],
)
def test_an_open_case_outside_information_gathering_has_no_deadline_of_its_own(stage: Stage) -> None:
    assert next_due(at(stage)) is None


@pytest.mark.parametrize("stage", sorted(EXIT_STAGES))
@pytest.mark.parametrize("reason", list(ExitReason))
def test_exit_from_police_screening_onward_closes_with_reason_and_reviews(
    stage: Stage, reason: ExitReason
) -> None:
    closed = move(at(stage), Move.EXIT, on=date(2026, 8, 31), exit_reason=reason)
    assert closed.stage is Stage.CLOSED
    assert closed.exit_reason is reason
    assert closed.closure is ClosureKind.EXITED
    assert (closed.review_6_due_on, closed.review_12_due_on) == (date(2027, 2, 28), date(2027, 8, 31))


@pytest.mark.parametrize("stage", [Stage.CONCERN_RAISED, Stage.REFERRED, Stage.CLOSED, Stage.ARCHIVED])
def test_no_exit_before_police_screening_or_after_closure(stage: Stage) -> None:
    with pytest.raises(TransitionRefusedError, match="not possible"):
        move(at(stage), Move.EXIT, exit_reason=ExitReason.SIGNPOSTED)


def test_exit_needs_a_reason_and_only_exits_take_one() -> None:
    with pytest.raises(TransitionRefusedError, match="needs a reason"):
        move(at(Stage.POLICE_SCREENING), Move.EXIT)
    with pytest.raises(TransitionRefusedError, match="only when a case exits"):
        move(at(Stage.REFERRED), Move.START_SCREENING, exit_reason=ExitReason.SIGNPOSTED)


def test_moves_cannot_be_dated_before_the_case_opened() -> None:
    with pytest.raises(
        DatedTooEarlyError, match="cannot be before 2026-01-05, when the case was opened"
    ) as e:
        move(at(Stage.REFERRED), Move.START_SCREENING, on=date(2025, 12, 31))
    assert (e.value.field, e.value.earliest) == ("on", OPENED)
    assert move(at(Stage.REFERRED), Move.START_SCREENING, on=OPENED).stage is Stage.POLICE_SCREENING


DECIDED = date(2026, 2, 10)


@pytest.mark.parametrize(
    ("stage", "m", "facts"),
    [
        (
            Stage.CONCERN_RAISED,
            Move.REFER,
            GuardFacts(True, referral_decided=Since(DECIDED, "assessment 4 was decided")),
        ),
        (
            Stage.CONCERN_RAISED,
            Move.CLOSE_WITHOUT_REFERRAL,
            GuardFacts(
                followed_no_referral_assessment=True,
                no_referral_decided=Since(DECIDED, "assessment 4 was decided"),
            ),
        ),
        (
            Stage.CHANNEL_PANEL,
            Move.START_SUPPORT,
            GuardFacts(
                channel_consent=True, channel_consent_given=Since(DECIDED, "assessment 4 was decided")
            ),
        ),
    ],
)
def test_a_move_that_needs_a_record_cannot_be_dated_before_it(
    stage: Stage, m: Move, facts: GuardFacts
) -> None:
    # Recorded late is fine; dated before the decision, the record would say the case was referred
    # (information shared) before anyone had decided it lawfully could be.
    with pytest.raises(
        DatedTooEarlyError, match="cannot be before 2026-02-10, when assessment 4 was decided"
    ) as e:
        move(at(stage), m, on=date(2026, 2, 9), facts=facts)
    assert e.value.field == "on"
    assert move(at(stage), m, on=DECIDED, facts=facts).stage is not stage  # the same day is allowed
    assert move(at(stage), m, on=date(2026, 3, 1), facts=facts).stage is not stage


def test_information_gathering_cannot_start_before_the_panel_asked_nor_be_asked_before_the_case() -> None:
    with pytest.raises(
        DatedTooEarlyError, match="cannot be before 2026-02-03, when the panel's request"
    ) as e:
        move(
            at(Stage.POLICE_SCREENING),
            Move.GATHER_INFORMATION,
            on=date(2026, 2, 2),
            information_request_on=date(2026, 2, 3),
        )
    assert e.value.field == "on"
    with pytest.raises(
        DatedTooEarlyError, match="cannot be before 2026-01-05, when the case was opened"
    ) as e:
        move(at(Stage.POLICE_SCREENING), Move.GATHER_INFORMATION, information_request_on=date(2026, 1, 4))
    assert e.value.field == "information_request_on"
    same_day = move(
        at(Stage.POLICE_SCREENING), Move.GATHER_INFORMATION, information_request_on=date(2026, 2, 2)
    )
    assert same_day.information_request_on == date(2026, 2, 2)
    # The panel may ask the day the case was opened: that day itself is allowed.
    asked_at_opening = move(
        at(Stage.POLICE_SCREENING), Move.GATHER_INFORMATION, on=OPENED, information_request_on=OPENED
    )
    assert (asked_at_opening.information_request_on, asked_at_opening.information_due_on) == (
        OPENED,
        date(2026, 1, 12),
    )


def test_refusal_names_the_moves_that_are_allowed() -> None:
    with pytest.raises(TransitionRefusedError, match="Allowed now: start_screening"):
        move(at(Stage.REFERRED), Move.TAKE_TO_PANEL)
    with pytest.raises(TransitionRefusedError) as e:
        move(at(Stage.POLICE_SCREENING), Move.TAKE_TO_PANEL)
    assert str(e.value) == (
        "'take_to_panel' is not possible from stage 'police_screening'. "
        "Allowed now: gather_information, exit."
    )
    with pytest.raises(TransitionRefusedError) as e:
        move(at(Stage.ARCHIVED), Move.ARCHIVE)
    assert str(e.value) == "'archive' is not possible from stage 'archived'. Allowed now: none."


def test_an_exit_without_a_reason_is_told_every_reason_it_can_give() -> None:
    with pytest.raises(TransitionRefusedError) as e:
        move(at(Stage.CHANNEL_PANEL), Move.EXIT)
    assert str(e.value) == (
        "An exit needs a reason: one of "
        "signposted, escalated_police_led, non_consent, no_or_reduced_vulnerability."
    )


def test_an_exit_reason_on_another_move_is_refused_in_words_the_lead_reads() -> None:
    with pytest.raises(TransitionRefusedError) as e:
        move(at(Stage.REFERRED), Move.START_SCREENING, exit_reason=ExitReason.SIGNPOSTED)
    assert str(e.value) == "An exit reason is given only when a case exits the pathway."


@pytest.mark.parametrize(
    ("stage", "m", "words"),
    [
        (
            Stage.CONCERN_RAISED,
            Move.REFER,
            "A referral needs a sharing assessment for purpose 'prevent_referral' whose outcome was "
            "'share' and which the lead followed (guidance §3 and §6). Record that assessment first.",
        ),
        (
            Stage.CHANNEL_PANEL,
            Move.START_SUPPORT,
            "Channel support is voluntary: record consent to support first, from the person if 18 or "
            "over and able to decide, or from a parent or guardian if under 18 (CTSA2015.s36.4.b, "
            "guidance §7).",
        ),
        (
            Stage.CONCERN_RAISED,
            Move.CLOSE_WITHOUT_REFERRAL,
            "Closing a concern without a referral needs a recorded sharing assessment for purpose "
            "'prevent_referral' and the lead's decision on it, so the reasoning is on file (§6).",
        ),
    ],
)
def test_a_guard_refusal_tells_the_lead_what_to_record_and_cites_why(
    stage: Stage, m: Move, words: str
) -> None:
    """These sentences are shown to the lead as they stand (services/pathway), so they are pinned
    whole: what is missing, what to record, and the provision or guidance section behind it."""
    with pytest.raises(TransitionRefusedError) as e:
        move(at(stage), m, facts=GuardFacts())
    assert str(e.value) == words


@pytest.mark.parametrize(
    ("closed", "six", "twelve"),
    [
        (date(2026, 1, 15), date(2026, 7, 15), date(2027, 1, 15)),
        (date(2026, 8, 31), date(2027, 2, 28), date(2027, 8, 31)),
        (date(2027, 8, 31), date(2028, 2, 29), date(2028, 8, 31)),
        (date(2026, 12, 31), date(2027, 6, 30), date(2027, 12, 31)),
        (date(2028, 2, 29), date(2028, 8, 29), date(2029, 2, 28)),
    ],
)
def test_reviews_fall_6_and_12_calendar_months_after_closure(closed: date, six: date, twelve: date) -> None:
    assert review_dates(closed) == (six, twelve)


def test_add_months_crosses_years_both_ways() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Move)),
            st.none() | st.sampled_from(list(ExitReason)),
            st.integers(0, 400),
            st.booleans(),
            st.booleans(),
        ),
        max_size=25,
    )
)
def test_random_move_sequences_keep_the_invariants(
    steps: list[tuple[Move, ExitReason | None, int, bool, bool]],
) -> None:
    state = at(Stage.CONCERN_RAISED)
    day = OPENED
    for m, reason, gap, referral_ok, consent_ok in steps:
        day = date.fromordinal(day.toordinal() + gap)
        facts = GuardFacts(
            followed_referral_assessment=referral_ok,
            followed_no_referral_assessment=not referral_ok,
            channel_consent=consent_ok,
        )
        before = state
        try:
            state = apply(before, Request(move=m, on=day, exit_reason=reason), facts, CAL)
        except TransitionRefusedError:
            assert state == before  # a refusal changes nothing
            continue
        # Never backwards along the pathway.
        assert PATHWAY_ORDER.index(state.stage) > PATHWAY_ORDER.index(before.stage)
        if m is Move.REFER:
            assert referral_ok
        if m is Move.START_SUPPORT:
            assert consent_ok
        if m is Move.EXIT:
            assert before.stage in EXIT_STAGES and reason is not None
    closed = PATHWAY_ORDER.index(state.stage) >= PATHWAY_ORDER.index(Stage.CLOSED)
    assert closed == (state.closed_on is not None)
    if state.closed_on is not None:
        assert review_dates(state.closed_on) == (state.review_6_due_on, state.review_12_due_on)
        assert (state.exit_reason is not None) == (state.closure is ClosureKind.EXITED)
