"""The case page tells the truth about what is current. Its "Next due" is the case's next deadline as the case list and the due list judge it:
its own, or an open partner request's, whichever comes first."""

import html
from datetime import date, timedelta

from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow, CaseRow, PartnerRequestRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.consents import withdraw_consent
from prevent_ig.services.pathway import advance_case
from prevent_ig.services.requests import ask_for_clarification, mark_answered
from tests.builders import item
from tests.fixtures_db import TODAY
from tests.records.helpers import assess_case, open_case, partner_request, sharing_consent


def next_due(page: str) -> str:
    words = " ".join(page.split())
    return words.split("Next due</dt>", 1)[1].split("</dd>", 1)[0]


def test_an_open_partner_request_is_the_cases_next_deadline(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.due")
    case_id = open_case(lead.db)
    assert "Nothing due" in next_due(lead.client.get(f"/cases/{case_id}").text)
    received = TODAY - timedelta(days=1)
    request_id = partner_request(lead.db, case_id, received)
    due_on = lead.db.config.calendar.add_working_days(received, 5)

    shown = next_due(lead.client.get(f"/cases/{case_id}").text)

    assert f"{due_on.day} {due_on:%B %Y}" in shown
    assert f'<a href="/requests/{request_id}">partner request {request_id}</a>' in shown


def received_for(calendar: WorkingDayCalendar, due_on: date) -> date:
    """The day a request must have arrived to fall due on ``due_on`` (five working days on)."""
    day = due_on
    while calendar.add_working_days(day, 5) != due_on:
        day -= timedelta(days=1)
    return day


def test_the_requests_list_says_due_today_and_counts_one_working_day_in_the_singular(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.list")
    calendar = lead.db.config.calendar
    tomorrow = calendar.add_working_days(TODAY, 1)
    for due_on in (TODAY, tomorrow):
        partner_request(lead.db, open_case(lead.db), received_for(calendar, due_on))

    text = " ".join(lead.client.get("/requests").text.split())

    assert "(due today)" in text
    assert "(1 working day left)" in text
    assert "0 working days left" not in text and "1 working days left" not in text


def test_a_decision_that_no_longer_authorises_sharing_says_so_and_why_to_the_lead_only(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.lapsed")
    practitioner = as_role(Role.PRACTITIONER, "clinician.a")  # raised the concern (open_case)
    case_id = open_case(lead.db)
    consent_id = sharing_consent(lead.db, case_id, actor="lead.lapsed")
    decided = assess_case(lead.db, case_id)  # rests on that consent
    assert "No longer authorises sharing" not in lead.client.get(f"/cases/{case_id}").text
    with lead.db.uow() as uow:
        withdraw_consent(uow=uow, actor="lead.lapsed", case_id=case_id, consent_id=consent_id, on=TODAY)

    shown = " ".join(lead.client.get(f"/cases/{case_id}").text.split())

    assert f"Assessment {decided}:" in shown
    assert "No longer authorises sharing:</strong> assessment" in shown
    assert f"consent to sharing was withdrawn on {TODAY}" in shown
    assert "No longer authorises sharing" not in practitioner.client.get(f"/cases/{case_id}").text


def date_fields(name: str, day: date) -> dict[str, str]:
    return {f"{name}[day]": str(day.day), f"{name}[month]": str(day.month), f"{name}[year]": str(day.year)}


def test_a_requests_clocks_run_from_when_things_happened_not_when_they_were_recorded(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.dates")
    calendar = lead.db.config.calendar
    received = TODAY - timedelta(days=7)
    case_id = open_case(lead.db, on=received)
    request_id = partner_request(lead.db, case_id, received)
    page = f"/requests/{request_id}"
    with lead.db.uow() as uow:
        ask_for_clarification(uow=uow, actor="lead.dates", request_id=request_id, missing=["x"], on=received)

    future = lead.post_form(
        f"{page}/clarified", date_fields("clarified_on", TODAY + timedelta(days=1)), form_page=page
    )
    assert future.status_code == 400
    assert "The date the requestor answered must be today or earlier" in future.text
    assert 'href="#clarified_on-day"' in future.text
    replied = received + timedelta(days=2)  # read then, recorded today
    assert 'name="supplied" type="checkbox" value="specific"' in lead.client.get(page).text
    done = lead.post_form(
        f"{page}/clarified",
        {**date_fields("clarified_on", replied), "supplied": ["specific"]},
        form_page=page,
    )
    assert done.status_code == 303, done.text
    with lead.db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None and row.due_on == calendar.add_working_days(replied, 5)
        assert row.specific  # what their answer gave is what the request is judged on now
    # Assessing it now counts its deadline from the answer, as the request's own due date does.
    started = html.unescape(lead.client.get(f"/cases/{case_id}/assess?request_id={request_id}").text)
    assert f'"received": "{replied.isoformat()}"' in started
    assert '"specific"' in started.split('"request_checks"', 1)[1].split("]", 1)[0]

    sent = replied + timedelta(days=1)
    done = lead.post_form(f"{page}/answered", date_fields("answered_on", sent), form_page=page)
    assert done.status_code == 303, done.text
    with lead.db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None and (row.status, row.answered_on) == ("answered", sent)


def test_information_gathering_counts_from_the_day_the_request_arrived(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.gather")
    case_id = open_case(lead.db, on=TODAY - timedelta(days=10))
    assess_case(lead.db, case_id)
    for move in (Move.REFER, Move.START_SCREENING):
        with lead.db.uow() as uow:
            advance_case(
                uow=uow,
                actor="lead.gather",
                case_id=case_id,
                move=move,
                on=TODAY,
                calendar=lead.db.config.calendar,
            )
    page = f"/cases/{case_id}"
    missing = lead.post_form(f"{page}/move", {"move": "gather_information", "version": "3"}, form_page=page)
    assert missing.status_code == 400
    assert "Enter the date the request for information arrived" in missing.text
    assert 'href="#information_request_on-day"' in missing.text
    asked = TODAY - timedelta(days=3)

    moved = lead.post_form(
        f"{page}/move",
        {"move": "gather_information", "version": "3", **date_fields("information_request_on", asked)},
        form_page=page,
    )

    assert moved.status_code == 303, moved.text
    with lead.db.uow() as uow:
        row = uow.session.get(CaseRow, case_id)
        assert row is not None and row.information_due_on == lead.db.config.calendar.add_working_days(
            asked, 5
        )


def test_withdrawing_consent_on_a_referred_case_with_no_recorded_disclosure_says_to_tell_the_police(
    as_role,
) -> None:  # type: ignore[no-untyped-def]
    # "Record the referral as made" follows a referral sent by hand: no disclosure row, but the police have it.
    lead = as_role(Role.PREVENT_LEAD, "lead.told")
    case_id = open_case(lead.db)
    consent_id = sharing_consent(lead.db, case_id, actor="lead.told")
    assess_case(lead.db, case_id)
    with lead.db.uow() as uow:
        advance_case(
            uow=uow,
            actor="lead.told",
            case_id=case_id,
            move=Move.REFER,
            on=TODAY,
            calendar=lead.db.config.calendar,
        )
        withdraw_consent(uow=uow, actor="lead.told", case_id=case_id, consent_id=consent_id, on=TODAY)

    text = " ".join(lead.client.get(f"/cases/{case_id}?recorded=withdrawal&scope=sharing").text.split())

    assert "No disclosure is recorded on this case, but it was referred" in text
    assert "No disclosures had been made on this case." not in text


def test_the_referral_page_names_what_the_decision_withheld_for_the_lead_to_check_the_free_text(
    as_role,
) -> None:  # type: ignore[no-untyped-def]
    # The form drops the health question when health was withheld, but the concern goes as written.
    lead = as_role(Role.PREVENT_LEAD, "lead.left")
    case_id = open_case(lead.db)
    items = [
        item("demographics"),
        {**item("gp-letter", "health", relevant=False), "description": "GP letter"},
    ]
    assessment_id = assess_case(lead.db, case_id, items=items)

    page = lead.client.get(f"/cases/{case_id}/referral")
    text = " ".join(html.unescape(page.text).split())

    assert page.status_code == 200
    assert "Left out of this referral" in text
    assert "GP letter (health: not relevant)" in text
    assert "Synthetic identity item" not in text  # released items are not listed
    with lead.db.uow() as uow:
        read = uow.session.scalars(select(AuditEventRow).where(AuditEventRow.case_id == case_id))
        events = [(e.actor, e.event, e.entity) for e in read]
    assert ("lead.left", "case:assessment:view", f"assessment:{assessment_id}") in events


def test_the_referral_page_warns_of_nothing_when_everything_assessed_was_released(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.all")
    case_id = open_case(lead.db)
    assess_case(lead.db, case_id)

    assert "Left out of this referral" not in lead.client.get(f"/cases/{case_id}/referral").text


def test_on_the_saturday_after_its_due_date_a_request_reads_overdue_everywhere(as_role) -> None:  # type: ignore[no-untyped-def]
    # Received Friday 20 November, due Friday 27 November. On Saturday no working day has gone by,
    # but an answer sent that day is late: the request pages must not say "due today".
    db = as_role(Role.PREVENT_LEAD, "lead.friday").db
    request_id = partner_request(db, open_case(db), date(2026, 11, 20))
    db.clock.move_to(date(2026, 11, 28))
    lead = as_role(Role.PREVENT_LEAD, "lead.saturday")  # signed in on the Saturday

    listed = " ".join(lead.client.get("/requests").text.split())
    shown = " ".join(lead.client.get(f"/requests/{request_id}").text.split())
    dashboard = " ".join(lead.client.get("/dashboard").text.split())

    assert '27 Nov 2026 (<span class="app-countdown--overdue">overdue</span>)' in listed
    assert 'Due Friday 27 November 2026: <span class="app-countdown--overdue">overdue</span>' in shown
    assert "due today" not in listed + shown
    assert "Overdue" in dashboard


def test_an_answered_request_page_says_when_it_was_answered_and_when_it_was_due(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.answered")
    request_id = partner_request(lead.db, open_case(lead.db), date(2026, 11, 20))
    with lead.db.uow() as uow:
        mark_answered(uow=uow, actor="lead.answered", request_id=request_id, on=date(2026, 11, 25))

    shown = " ".join(lead.client.get(f"/requests/{request_id}").text.split())

    assert "Answered Wednesday 25 November 2026 (due Friday 27 November 2026)." in shown


def test_the_powers_a_clarification_supplies_are_recorded_on_the_request(as_role) -> None:  # type: ignore[no-untyped-def]
    # Asked for the legal powers they rely on, the requestor names them: the request must then cite
    # them, or the engine asks for the same clarification again.
    lead = as_role(Role.PREVENT_LEAD, "lead.powers")
    received = TODAY - timedelta(days=3)
    request_id = partner_request(lead.db, open_case(lead.db, on=received), received, powers=())
    page = f"/requests/{request_id}"
    with lead.db.uow() as uow:
        ask_for_clarification(
            uow=uow, actor="lead.powers", request_id=request_id, missing=["request_legal_powers"], on=received
        )
    assert 'name="powers" type="checkbox" value="CTSA2015.s38"' in lead.client.get(page).text

    unknown = lead.post_form(
        f"{page}/clarified", {**date_fields("clarified_on", TODAY), "powers": ["Not.A.Power"]}, form_page=page
    )
    assert unknown.status_code == 400 and "not in the catalogue: Not.A.Power" in unknown.text
    done = lead.post_form(
        f"{page}/clarified",
        {**date_fields("clarified_on", TODAY), "powers": ["CTSA2015.s38"]},
        form_page=page,
    )

    assert done.status_code == 303, done.text
    with lead.db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None and (row.status, row.legal_powers_cited) == ("open", ["CTSA2015.s38"])
