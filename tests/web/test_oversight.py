"""The oversight report: partner requests received in a period, each judged answered on time or not.

Dates are relative to the real today, which the web app judges by.
"""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.csv_export import cell, csv_text
from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import Purpose
from prevent_ig.services.errors import InvalidFieldError, RefusedError
from prevent_ig.services.oversight import Timeliness, timeliness_report
from prevent_ig.services.requests import (
    ask_for_clarification,
    clarification_received,
    mark_answered,
)
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case, partner_request


def answered(db: Db, request_id: int, on: date) -> None:
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=on)


def a_quarter_of_requests(db: Db) -> dict[str, int]:
    """One request of each outcome in the last quarter, and one from long before it."""
    case_id = open_case(db)
    month_ago = TODAY - timedelta(days=30)
    made = {
        "on time": partner_request(db, case_id, month_ago, organisation="Synthetic Police"),
        "late": partner_request(
            db, case_id, month_ago, organisation="Synthetic Council", purpose=Purpose.POLICE_SCREENING
        ),
        "open": partner_request(db, case_id, TODAY, organisation='=HYPERLINK("http://x")'),
        "overdue": partner_request(db, case_id, month_ago, organisation="Synthetic Panel"),
        "clarifying": partner_request(db, case_id, month_ago, organisation="Synthetic Probation"),
        "last year": partner_request(
            db, case_id, TODAY - timedelta(days=300), organisation="Synthetic Old Council"
        ),
    }
    answered(db, made["on time"], month_ago + timedelta(days=1))
    answered(db, made["late"], month_ago + timedelta(days=20))
    with db.uow() as uow:
        ask_for_clarification(
            uow=uow, actor="lead.a", request_id=made["clarifying"], missing=["specific"], on=month_ago
        )
    return made


def audit_count(db: Db, event: str) -> int:
    with db.uow() as uow:
        found = uow.session.scalar(select(func.count()).where(AuditEventRow.event == event))
    return int(found or 0)


def test_the_report_judges_each_request_of_the_last_quarter_and_counts_them(as_role) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.oversight")
    db = auditor.db
    made = a_quarter_of_requests(db)

    page = auditor.client.get("/oversight")

    assert page.status_code == 200
    text = page.text
    assert "5 requests received from" in text  # not the one from 300 days ago
    assert "Synthetic Old Council" not in text
    assert (
        "<strong>50%</strong> of those answered were answered on time; of the Channel information-gathering"
        " requests, whose deadline the guidance sets, <strong>100%</strong>." in text
    )
    for key, request_id in made.items():
        assert (f"Request {request_id}<" in text) == (key != "last year"), key
    pairs = re.findall(r'summary-list__key">([^<]+)</dt><dd class="nhsuk-summary-list__value">(\d+)<', text)
    counts = {label: int(n) for label, n in pairs}
    assert counts == {
        "Answered on time": 1,
        "Answered late": 1,
        "Open, still in time": 1,
        "Open and overdue": 1,
        "Waiting for the requestor to clarify (clock stopped)": 1,
    }
    assert f'href="/requests/{made["late"]}"' not in text  # an auditor does not manage requests
    assert audit_count(db, "oversight:requests:report") == 1


def test_the_csv_holds_each_request_as_stored_and_no_cell_can_run_as_a_formula(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.oversight")
    db = lead.db
    made = a_quarter_of_requests(db)
    start = TODAY - timedelta(days=365)

    response = lead.client.get(f"/oversight/requests.csv?from={start.isoformat()}&to={TODAY.isoformat()}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="partner-requests-{start.isoformat()}-to-{TODAY.isoformat()}.csv"'
    )
    assert response.content.startswith("\ufeff".encode())  # so that spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_id = {int(row["request_id"]): row for row in rows}
    assert set(by_id) == set(made.values())  # the chosen period takes in last year's request too
    late = by_id[made["late"]]
    expected_days = db.config.calendar.working_days_between(
        date.fromisoformat(late["received_on"]), date.fromisoformat(late["answered_on"])
    )
    assert (late["organisation"], late["timeliness"], int(late["working_days_on_the_clock"])) == (
        "Synthetic Council",
        "answered_late",
        expected_days,
    )
    assert (late["guidance_deadline"], by_id[made["on time"]]["guidance_deadline"]) == ("no", "yes")
    assert by_id[made["clarifying"]]["clarifications"] == "1"
    assert by_id[made["open"]]["answered_on"] == "" and by_id[made["open"]]["timeliness"] == "open_in_time"
    assert by_id[made["open"]]["organisation"] == '\'=HYPERLINK("http://x")'  # shown as text, not run
    assert (audit_count(db, "oversight:requests:export"), audit_count(db, "oversight:requests:report")) == (
        1,
        0,
    )


def test_the_clock_stopped_for_clarification_is_not_counted(as_role) -> None:  # type: ignore[no-untyped-def]
    siro = as_role(Role.SIRO, "siro.oversight")
    db = siro.db
    case_id = open_case(db)
    asked = TODAY - timedelta(days=40)
    request_id = partner_request(db, case_id, asked, organisation="Synthetic Panel")
    with db.uow() as uow:
        ask_for_clarification(uow=uow, actor="lead.a", request_id=request_id, missing=["specific"], on=asked)
    with db.uow() as uow, pytest.raises(RefusedError, match="clarify"):
        mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=asked)  # nothing goes out meanwhile
    restarted = TODAY - timedelta(days=20)
    with db.uow() as uow:
        due = clarification_received(
            uow=uow, actor="lead.a", request_id=request_id, on=restarted, calendar=db.config.calendar
        )
    answered(db, request_id, due)  # on the last day of the restarted clock, weeks after receipt

    response = siro.client.get("/oversight/requests.csv")

    [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (row["timeliness"], row["due_on"], row["clarifications"]) == (
        "answered_on_time",
        due.isoformat(),
        "1",
    )
    assert (
        int(row["working_days_on_the_clock"]) == db.config.calendar.working_days_between(restarted, due) == 5
    )


def test_the_report_is_for_the_lead_the_siro_and_auditors_only(as_role) -> None:  # type: ignore[no-untyped-def]
    for role, allowed in (
        (Role.PREVENT_LEAD, True),
        (Role.SIRO, True),
        (Role.AUDITOR, True),
        (Role.IG_ADVISER, False),
        (Role.ADMINISTRATOR, False),
        (Role.PRACTITIONER, False),
    ):
        client = as_role(role, f"{role.value.replace('_', '.')}.reports").client
        for path in ("/oversight", "/oversight/requests.csv"):
            assert (client.get(path).status_code == 200) == allowed, (role, path)


def test_a_period_that_cannot_be_reported_is_named_and_nothing_is_read(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.period")
    db = lead.db
    backwards = lead.client.get("/oversight?from=2026-06-01&to=2026-05-01")
    assert backwards.status_code == 400
    assert 'href="#to"' in backwards.text and "Must not be before the start of the period" in backwards.text
    garbled = lead.client.get("/oversight/requests.csv?from=1st%20June")
    assert garbled.status_code == 400 and garbled.headers["content-type"].startswith("text/html")
    assert 'href="#from"' in garbled.text
    assert audit_count(db, "oversight:requests:report") == 0


def test_spreadsheet_cells_keep_text_as_text() -> None:
    assert [
        cell(v)
        for v in ("=1+2", "+44 20", "-1", "@SUM(A1)", "\tx", "plain", None, True, date(2026, 1, 2), -3)
    ] == [
        "'=1+2",
        "'+44 20",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        "",
        "yes",
        "2026-01-02",
        "-3",
    ]
    assert csv_text(("a", "b"), [("x,y", 'say "hi"')]) == 'a,b\r\n"x,y","say ""hi"""\r\n'


def test_an_answer_dated_before_the_request_arrived_is_refused_naming_the_date(db: Db) -> None:
    # The report would have counted it on time, with -1 working days taken.
    request_id = partner_request(db, open_case(db), date(2026, 11, 23))
    with db.uow() as uow, pytest.raises(InvalidFieldError) as caught:
        mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=date(2026, 11, 20))
    assert caught.value.field == "on" and "2026-11-23" in caught.value.message
    answered(db, request_id, date(2026, 11, 23))  # the day it arrived is fine


def test_an_answer_on_a_bank_holiday_after_the_due_date_is_late_and_counts_six_days(db: Db) -> None:
    # Due Thursday 31 December 2026; answered Friday 1 January 2027, a bank holiday. Counted as the
    # next working day, the days taken agree with the verdict (more than 5 is late).
    db.clock.move_to(date(2027, 1, 4))
    request_id = partner_request(db, open_case(db), date(2026, 12, 22))
    answered(db, request_id, date(2027, 1, 1))
    with db.uow() as uow:
        report = timeliness_report(
            uow=uow,
            actor="lead.a",
            start=date(2026, 12, 1),
            end=date(2026, 12, 31),
            today=date(2027, 1, 4),
            calendar=db.config.calendar,
        )
    (judged,) = report.requests
    assert (judged.due_on, judged.working_days_taken, judged.timeliness) == (
        date(2026, 12, 31),
        6,
        Timeliness.ANSWERED_LATE,
    )


def report_of_november(db: Db) -> list[tuple[Timeliness, date | None]]:
    with db.uow() as uow:
        report = timeliness_report(
            uow=uow,
            actor="lead.a",
            start=date(2026, 11, 1),
            end=date(2026, 11, 30),
            today=TODAY,
            calendar=db.config.calendar,
        )
    return [(r.timeliness, r.missed_due_on) for r in report.requests]


def test_a_clarification_asked_after_the_due_date_leaves_the_request_late(db: Db) -> None:
    # Received Monday 2 November, due Monday 9 November; clarification asked only on 16 November. The
    # restarted clock must not turn a request a week overdue into one "answered on time".
    request_id = partner_request(db, open_case(db), date(2026, 11, 2))
    with db.uow() as uow:
        ask_for_clarification(
            uow=uow, actor="lead.a", request_id=request_id, missing=["x"], on=date(2026, 11, 16)
        )
    assert report_of_november(db) == [(Timeliness.OPEN_OVERDUE, date(2026, 11, 9))]
    with db.uow() as uow:
        clarification_received(
            uow=uow, actor="lead.a", request_id=request_id, on=date(2026, 11, 16), calendar=db.config.calendar
        )
    answered(db, request_id, date(2026, 11, 16))

    assert report_of_november(db) == [(Timeliness.ANSWERED_LATE, date(2026, 11, 9))]


def test_a_clarification_asked_on_the_due_date_stops_the_clock_in_time(db: Db) -> None:
    request_id = partner_request(db, open_case(db), date(2026, 11, 2))
    with db.uow() as uow:
        ask_for_clarification(
            uow=uow, actor="lead.a", request_id=request_id, missing=["x"], on=date(2026, 11, 9)
        )
        clarification_received(
            uow=uow, actor="lead.a", request_id=request_id, on=date(2026, 11, 16), calendar=db.config.calendar
        )
    answered(db, request_id, date(2026, 11, 20))

    assert report_of_november(db) == [(Timeliness.ANSWERED_ON_TIME, None)]
