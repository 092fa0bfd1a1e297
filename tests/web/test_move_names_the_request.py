"""The move form offers the case's recorded Channel requests as the one that started information
gathering, so that the request's own clock is the deadline and the case keeps no second one."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from prevent_ig.adapters.records.tables import CaseRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import Purpose
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.pathway import advance_case
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case, partner_request
from tests.web.test_move_dates import date_fields, long


def at_screening(db: Db) -> int:
    opened = TODAY - timedelta(days=20)
    case_id = open_case(db, on=opened)
    assess_case(db, case_id, on=opened)
    for move in (Move.REFER, Move.START_SCREENING):
        with db.uow() as uow:
            advance_case(
                uow=uow, actor="lead.a", case_id=case_id, move=move, on=opened, calendar=db.config.calendar
            )
    return case_id


def linked(db: Db, case_id: int) -> tuple[int | None, object]:
    with db.uow() as uow:
        row = uow.session.execute(
            select(CaseRow.information_request_id, CaseRow.information_request_on).where(
                CaseRow.id == case_id
            )
        ).one()
    return row[0], row[1]


def test_the_lead_names_the_request_that_asked_and_the_case_page_links_it(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.linked")
    case_id = at_screening(lead.db)
    arrived = TODAY - timedelta(days=3)
    channel = partner_request(lead.db, case_id, arrived, organisation="Synthetic Channel Panel")
    police = partner_request(lead.db, case_id, arrived, purpose=Purpose.POLICE_SCREENING)
    page = f"/cases/{case_id}"

    shown = lead.client.get(page).text

    offered = f"Partner request {channel} from Synthetic Channel Panel, received {long(arrived)}"
    assert offered in shown and f"Partner request {police} " not in shown  # no pre-panel to meet

    # The date boxes are not read once a request is named (they are filled in with today).
    moved = lead.post_form(
        f"{page}/move",
        {"move": "gather_information", "version": "3", "information_request_id": str(channel)},
        form_page=page,
    )

    assert moved.status_code == 303, moved.text
    assert linked(lead.db, case_id) == (channel, arrived)
    after = lead.client.get(page).text
    assert (
        f'<a href="/requests/{channel}">partner request {channel}</a>, whose due date is the deadline'
        in after
    )


@pytest.mark.parametrize("sent", ["²", "99999999999", "0"])
def test_a_request_number_no_request_can_have_is_a_field_error(as_role, sent: str) -> None:  # type: ignore[no-untyped-def]
    # "²" is a digit to str.isdigit but not to int(): read with isdigit alone, it was a 500.
    lead = as_role(Role.PREVENT_LEAD, "lead.badid")
    case_id = at_screening(lead.db)
    page = f"/cases/{case_id}"
    form = {"move": "gather_information", "version": "3", "information_request_id": sent}

    refused = lead.post_form(f"{page}/move", form, form_page=page)

    assert refused.status_code == 400
    assert "Choose the request that asked for the information" in refused.text
    assert 'href="#information_request_id"' in refused.text
    assert linked(lead.db, case_id) == (None, None)


def test_not_naming_a_request_still_needs_the_day_it_arrived(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.unlinked")
    case_id = at_screening(lead.db)
    partner_request(lead.db, case_id, TODAY - timedelta(days=3))
    page = f"/cases/{case_id}"
    form = {"move": "gather_information", "version": "3", "information_request_id": ""}

    refused = lead.post_form(f"{page}/move", form, form_page=page)

    assert refused.status_code == 400 and 'href="#information_request_on-day"' in refused.text
    assert linked(lead.db, case_id) == (None, None)

    arrived = TODAY - timedelta(days=1)
    moved = lead.post_form(
        f"{page}/move", {**form, **date_fields("information_request_on", arrived)}, form_page=page
    )

    assert moved.status_code == 303, moved.text
    assert linked(lead.db, case_id) == (None, arrived)
