"""Numbers typed into the guided assessment: '²' is a digit to str.isdigit but not to int(), and int()
refuses a string of thousands of digits; read with isdigit alone, either was a 500 and a traceback."""

import json

import pytest

from prevent_ig.domain.access import Role
from tests.records.helpers import open_case
from tests.web.test_journeys_http import answer


@pytest.mark.parametrize("typed", ["²", "9" * 5000, "131"])
def test_an_age_no_one_can_be_is_asked_again(as_role, typed: str) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.age")
    case_id = open_case(lead.db)

    page = answer(lead, case_id, "{}", "age", answer=typed)

    assert page.status_code == 400 and "Enter their age in whole years, from 0 to 130" in page.text


@pytest.mark.parametrize("chosen", ["²", "9" * 5000])
def test_removing_an_item_no_draft_can_have_removes_nothing(as_role, chosen: str) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.item")
    case_id = open_case(lead.db)
    token = lead.csrf(f"/cases/{case_id}")
    item = {
        "id": "identity",
        "description": "Synthetic name",
        "category": "identity",
        "relevant": True,
        "justification": "j",
    }
    draft = json.dumps({"items": [item]})

    page = lead.client.post(
        f"/cases/{case_id}/assess",
        data={"draft": draft, "action": f"remove_item:{chosen}", "step": "items", "csrf_token": token},
    )

    assert page.status_code == 200 and "Synthetic name" in page.text
