"""Dates typed into forms: one reading for every form, with a four-figure year.

The pure readings first, then every form that takes a date, each refusing "26" for a year by naming
its own date field and recording nothing.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import (
    AccreditedDomainRow,
    CaseRow,
    ConsentRow,
    DataSharingAgreementRow,
    PartnerRequestRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web.form_dates import date_from_parts, date_in_form, iso_date
from prevent_ig.entrypoints.web.interview import BY_KEY, parse_answer
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case


@pytest.mark.parametrize(
    ("day", "month", "year", "read"),
    [
        ("17", "5", "1990", date(1990, 5, 17)),
        ("07", "05", "1990", date(1990, 5, 7)),
        (" 1 ", "1", " 2027 ", date(2027, 1, 1)),  # the spaces a pasted value brings
        ("29", "2", "2028", date(2028, 2, 29)),
        ("17", "5", "90", None),  # the year 90 is not meant
        ("17", "5", "026", None),
        ("17", "5", "1899", None),
        ("31", "12", "2099", date(2099, 12, 31)),
        ("1", "1", "2100", None),
        ("31", "12", "9999", None),  # a placeholder for "no date"
        ("17", "5", "19900", None),
        ("29", "2", "2027", None),
        ("31", "6", "2026", None),
        ("1", "13", "2026", None),
        ("0", "1", "2026", None),
        ("١", "1", "2026", None),  # an Arabic-Indic one, which int() would read
        ("1", "1", "２０２６", None),  # full-width figures
        ("-1", "1", "2026", None),
        ("", "1", "2026", None),
        (None, "1", "2026", None),
    ],
)
def test_three_boxes_give_a_date_only_with_a_real_day_and_a_four_figure_year(
    day: str | None, month: str, year: str, read: date | None
) -> None:
    assert date_from_parts(day, month, year) == read


def test_a_date_input_is_read_by_its_name_and_missing_boxes_give_no_date() -> None:
    values = {"dob[day]": "17", "dob[month]": "5", "dob[year]": "1990", "other[day]": "1"}
    assert date_in_form(values, "dob") == date(1990, 5, 17)
    assert date_in_form(values, "other") is None


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("2026-11-27", date(2026, 11, 27)),
        (" 2026-11-27 ", date(2026, 11, 27)),
        ("20261127", None),  # forms date.fromisoformat takes, that no one means in a report's address
        ("2026-W48-5", None),
        ("2026-11-27T10:00", None),
        ("2026-02-30", None),
        ("0026-11-27", None),
        ("9999-12-31", None),
        ("27/11/2026", None),
        ("", None),
    ],
)
def test_a_query_date_is_yyyy_mm_dd_only(text: str, read: date | None) -> None:
    assert iso_date(text) == read


def _count(db: Db, row: type) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(row)) or 0


def _date_fields(name: str, year: str) -> dict[str, str]:
    return {f"{name}[day]": "3", f"{name}[month]": "11", f"{name}[year]": year}


def _concern(db: Db, year: str) -> tuple[str, dict[str, str | list[str]], type]:
    return (
        "/concerns/new",
        {
            "role": "patient",
            "given_name": "Alex",
            "family_name": "Testperson",
            **_date_fields("dob", year),
            "address": "1 Synthetic Street",
            "nhs_number": "999 000 0018",
            "adult_at_risk": "no",
            "concern": "Synthetic concern.",
        },
        CaseRow,
    )


def _request(db: Db, year: str) -> tuple[str, dict[str, str | list[str]], type]:
    return (
        f"/cases/{open_case(db)}/requests/new",
        {
            "organisation": "Synthetic Council",
            "recipient_type": "local_authority",
            "person": "A Coordinator",
            "role": "Channel coordinator",
            "email": "channel@synthetic.gov.uk",
            "purpose": "channel_information_gathering",
            **_date_fields("received", year),
            "items": "GP contact",
        },
        PartnerRequestRow,
    )


def _consent(db: Db, year: str) -> tuple[str, dict[str, str | list[str]], type]:
    return (
        f"/cases/{open_case(db)}/consents/new",
        {
            "scope": "sharing",
            "status": "given",
            "given_by": "subject",
            "has_capacity": "yes",
            "sought_by": "Synthetic Lead",
            **_date_fields("sought_on", year),
        },
        ConsentRow,
    )


def _agreement(db: Db, year: str) -> tuple[str, dict[str, str | list[str]], type]:
    return (
        "/registers/agreements/new",
        {
            "partner": "Synthetic Council",
            "purpose": "Prevent and Channel",
            "references_prevent": "yes",
            **_date_fields("starts_on", year),
            **_date_fields("review_on", "2027"),
            **_date_fields("expires_on", "2028"),
        },
        DataSharingAgreementRow,
    )


def _domain(db: Db, year: str) -> tuple[str, dict[str, str | list[str]], type]:
    return (
        "/registers/domains/new",
        {
            "domain": "synthetic-trust.nhs.uk",
            "organisation": "Synthetic Trust",
            **_date_fields("expires_on", year),
        },
        AccreditedDomainRow,
    )


FORMS = {
    "dob": (Role.PRACTITIONER, _concern),
    "received": (Role.PREVENT_LEAD, _request),
    "sought_on": (Role.PREVENT_LEAD, _consent),
    "starts_on": (Role.IG_ADVISER, _agreement),
    "expires_on": (Role.IG_ADVISER, _domain),
}


@pytest.mark.parametrize("year", ["26", "9999"])  # a two-figure year; a placeholder past 2099
@pytest.mark.parametrize("field", sorted(FORMS))
def test_every_form_refuses_a_year_out_of_range_naming_its_date_and_records_nothing(
    as_role,
    db: Db,
    field: str,
    year: str,  # type: ignore[no-untyped-def]
) -> None:
    role, form = FORMS[field]
    browser = as_role(role)
    path, good, row = form(db, "2026")
    before = _count(db, row)

    refused = browser.post_form(path, {**good, **_date_fields(field, year)})

    assert refused.status_code == 400, refused.text[:500]
    assert 'class="nhsuk-error-summary"' in refused.text
    assert f'href="#{field}-day"' in refused.text  # the summary links to this date's first box
    assert _count(db, row) == before
    # The same form with the year in full is accepted, so the year alone was refused.
    assert browser.post_form(path, good).status_code == 303
    assert _count(db, row) == before + 1


def test_a_request_dated_after_today_is_refused_at_its_date(as_role, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD)
    path, good, _ = _request(db, "2026")
    after = TODAY + timedelta(days=1)
    tomorrow = {
        "received[day]": str(after.day),
        "received[month]": str(after.month),
        "received[year]": str(after.year),
    }

    refused = lead.post_form(path, {**good, **tomorrow})

    assert refused.status_code == 400
    assert "The date the request arrived must be today or earlier" in refused.text
    assert 'href="#received-day"' in refused.text
    assert _count(db, PartnerRequestRow) == 0
    today = {
        "received[day]": str(TODAY.day),
        "received[month]": str(TODAY.month),
        "received[year]": str(TODAY.year),
    }
    assert lead.post_form(path, {**good, **today}).status_code == 303
    assert _count(db, PartnerRequestRow) == 1


def test_the_report_refuses_a_period_not_written_yyyy_mm_dd(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD)
    refused = lead.client.get("/oversight?from=20261101")
    assert refused.status_code == 400
    assert "Enter the start of the period as a date" in refused.text


@pytest.mark.parametrize(
    ("day", "year", "answer", "error"),
    [
        ("3", "2026", "2026-11-03", None),
        ("26", "2026", "2026-11-26", None),  # today
        ("3", "26", None, "Enter a real date, for example 22 12 2026"),
        ("27", "2026", None, "Enter a date that is today or earlier"),
    ],
)
def test_the_guided_assessments_date_question_takes_a_four_figure_year_up_to_today(
    day: str, year: str, answer: str | None, error: str | None
) -> None:
    form = {"day": day, "month": "11", "year": year}
    assert parse_answer(BY_KEY["received"], form, today=date(2026, 11, 26)) == (answer, error)
