"""The case page says when a disclosure never reached its recipient, and the lead's dashboard puts the
request it answered back among the deadlines, until the message is tried again from the outbox."""

import re

from prevent_ig.domain.access import Role
from prevent_ig.services.delivery import Result
from tests.documents.builders import partner_request
from tests.mail.fakes import AcceptingServer, RefusingServer, queue_pack, run_worker
from tests.web.conftest import Browser


def section(page: str, heading: str) -> str:
    """The text of one section of the case page, tags and spacing removed."""
    start = page.index(f"<h2>{heading}</h2>")
    end = page.find("<h2>", start + 1)
    return " ".join(re.sub(r"<[^>]+>", " ", page[start:end]).split())


def test_the_case_page_shows_a_disclosure_not_delivered_until_it_is_tried_again(as_role) -> None:  # type: ignore[no-untyped-def]
    lead: Browser = as_role(Role.PREVENT_LEAD, "lead.undelivered")
    db = lead.db
    made = partner_request(db)
    queued = queue_pack(db, made.assessment_id)
    page = lead.client.get(f"/cases/{made.case_id}").text
    assert "Not delivered" not in page
    assert f"Request {made.request_id} from Northshire Channel Panel (synthetic): answered" in section(
        page, "Partner requests"
    )

    assert run_worker(db, RefusingServer()) == [Result.FAILED]

    page = lead.client.get(f"/cases/{made.case_id}").text
    disclosures = section(page, "Disclosures")
    assert f"Disclosure {queued.disclosure_id} to Northshire Channel Panel (synthetic)" in disclosures
    assert "Not delivered The secure email failed for good on 26 November 2026" in disclosures
    assert "the recipient did not receive it" in disclosures
    requests = section(page, "Partner requests")
    assert f"Request {made.request_id} from Northshire" in requests and "open, due 30 November" in requests
    assert f"Request {made.request_id} is open again" in section(page, "Timeline")
    dashboard = lead.client.get("/dashboard").text
    assert f'<a href="/requests/{made.request_id}">Partner request {made.request_id}</a>' in dashboard
    assert f"Request {made.request_id} is open again: due 2026-11-30." in dashboard

    retried = lead.post_form(f"/mail/{queued.outbox_id}/retry", {}, form_page="/mail")
    assert retried.status_code == 303, retried.text
    assert run_worker(db, AcceptingServer()) == [Result.SENT]

    page = lead.client.get(f"/cases/{made.case_id}").text
    assert "Not delivered" not in section(page, "Disclosures")
    assert f"Request {made.request_id} from Northshire Channel Panel (synthetic): answered" in section(
        page, "Partner requests"
    )
