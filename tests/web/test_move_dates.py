"""The case page's move form asks the day the move happened, and refuses a day before what the move
follows (the decision that allows it, the case's opening, its last move) next to the date, keeping
the answers given."""

import html
from datetime import date, timedelta

from sqlalchemy import select

from prevent_ig.adapters.records.tables import CaseEventRow, CaseRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.pathway import advance_case
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case


def date_fields(name: str, day: date) -> dict[str, str]:
    return {f"{name}[day]": str(day.day), f"{name}[month]": str(day.month), f"{name}[year]": str(day.year)}


def long(day: date) -> str:
    """A date as the page writes it."""
    return f"{day.day} {day:%B %Y}"


def stage_and_moves(db: Db, case_id: int) -> tuple[str, list[date]]:
    with db.uow() as uow:
        row = uow.session.get(CaseRow, case_id)
        assert row is not None
        moves = uow.session.scalars(
            select(CaseEventRow.on).where(
                CaseEventRow.case_id == case_id, CaseEventRow.kind == "stage_change"
            )
        )
        return row.stage, list(moves)


def error_at(page: str, field: str) -> str:
    """The error message shown in the date input ``field``'s group."""
    group = page.split(f'id="{field}-error"', 1)[1]
    return " ".join(html.unescape(group.split("</span>", 2)[1]).split())


def test_a_referral_dated_before_its_decision_is_refused_at_the_date_keeping_the_answers(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.dates")
    case_id = open_case(lead.db, on=TODAY - timedelta(days=30))
    decided = TODAY - timedelta(days=10)
    assessment_id = assess_case(lead.db, case_id, on=decided)
    page = f"/cases/{case_id}"
    early = decided - timedelta(days=2)

    refused = lead.post_form(
        f"{page}/move", {"move": "refer", "version": "1", **date_fields("on", early)}, form_page=page
    )

    assert refused.status_code == 400
    assert error_at(refused.text, "on") == (
        f"The date it happened cannot be before {long(decided)}, when assessment {assessment_id} was decided"
    )
    assert 'href="#on-day"' in refused.text  # the error summary leads to the date
    assert 'value="refer" checked' in refused.text
    assert f'name="on[day]" type="text" value="{early.day}"' in " ".join(refused.text.split())
    assert stage_and_moves(lead.db, case_id) == ("concern_raised", [])

    late = decided + timedelta(days=3)  # recorded today, made three days after the decision
    moved = lead.post_form(
        f"{page}/move", {"move": "refer", "version": "1", **date_fields("on", late)}, form_page=page
    )

    assert moved.status_code == 303, moved.text
    assert stage_and_moves(lead.db, case_id) == ("referred", [late])


def test_a_move_dated_before_the_cases_last_move_or_with_no_date_is_refused_at_the_date(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.order")
    case_id = open_case(lead.db, on=TODAY - timedelta(days=30))
    assess_case(lead.db, case_id, on=TODAY - timedelta(days=30))
    referred = TODAY - timedelta(days=5)
    with lead.db.uow() as uow:
        advance_case(
            uow=uow,
            actor="lead.order",
            case_id=case_id,
            move=Move.REFER,
            on=referred,
            calendar=lead.db.config.calendar,
        )
    page = f"/cases/{case_id}"
    screening = {"move": "start_screening", "version": "2"}

    blank = lead.post_form(
        f"{page}/move", {**screening, "on[day]": "", "on[month]": "", "on[year]": ""}, form_page=page
    )
    before = lead.post_form(
        f"{page}/move", {**screening, **date_fields("on", referred - timedelta(days=1))}, form_page=page
    )
    ahead = lead.post_form(
        f"{page}/move", {**screening, **date_fields("on", TODAY + timedelta(days=1))}, form_page=page
    )

    assert error_at(blank.text, "on") == "Enter the date it happened, for example 22 12 2026"
    assert error_at(before.text, "on") == (
        f"The date it happened cannot be before {long(referred)}, when the case's last move was made"
    )
    assert error_at(ahead.text, "on") == "The date it happened must be today or earlier"
    assert stage_and_moves(lead.db, case_id) == ("referred", [referred])
    same_day = lead.post_form(f"{page}/move", {**screening, **date_fields("on", referred)}, form_page=page)
    assert same_day.status_code == 303, same_day.text
    assert stage_and_moves(lead.db, case_id) == ("police_screening", [referred, referred])


def test_information_gathering_cannot_start_before_the_panels_request_arrived(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.gathering")
    case_id = open_case(lead.db, on=TODAY - timedelta(days=30))
    assess_case(lead.db, case_id, on=TODAY - timedelta(days=30))
    for move in (Move.REFER, Move.START_SCREENING):
        with lead.db.uow() as uow:
            advance_case(
                uow=uow,
                actor="lead.gathering",
                case_id=case_id,
                move=move,
                on=TODAY - timedelta(days=20),
                calendar=lead.db.config.calendar,
            )
    page = f"/cases/{case_id}"
    asked = TODAY - timedelta(days=4)
    form = {"move": "gather_information", "version": "3", **date_fields("information_request_on", asked)}

    refused = lead.post_form(
        f"{page}/move", {**form, **date_fields("on", asked - timedelta(days=1))}, form_page=page
    )

    assert refused.status_code == 400
    assert f"The date it happened cannot be before {long(asked)}, when the panel's request" in error_at(
        refused.text, "on"
    )
    typed = " ".join(refused.text.split())
    assert f'name="information_request_on[day]" type="text" value="{asked.day}"' in typed
    moved = lead.post_form(f"{page}/move", {**form, **date_fields("on", asked)}, form_page=page)
    assert moved.status_code == 303, moved.text
    assert stage_and_moves(lead.db, case_id)[0] == "information_gathering"
