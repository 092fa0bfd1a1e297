"""The Secure email page's way out for a message that may not go unchanged: the retry's refusal names
the button that works, and that button sends the same document in a new message, tagged as today
requires, in place of the failed one."""

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.records.tables import OutboxMessageRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.config import AccreditedDomain
from prevent_ig.services.delivery import Result
from prevent_ig.services.outbox import send_referral
from tests.documents.builders import NOT_SECURE, referral
from tests.fixtures_db import TODAY, Db
from tests.mail.fakes import AcceptingServer, RefusingServer, run_worker
from tests.web.conftest import Browser

SENDER = "prevent.lead@demo-trust.nhs.uk"


def failed_untagged_referral(db: Db) -> int:
    """Queued without [secure] while the recipient's domain was accredited (until that day), refused
    for good; a week on, the accreditation has lapsed."""
    made = referral(db, recipient={"email": NOT_SECURE})
    accredited = replace(
        db.config, accredited_domains=(AccreditedDomain(domain="northshire-council.org.uk", expires=TODAY),)
    )
    with db.uow() as uow:
        queued = send_referral(
            uow=uow,
            actor="lead.a",
            case_id=made.case_id,
            to=NOT_SECURE,
            on=TODAY,
            renderer=PdfRenderer(),
            from_address=SENDER,
            config=accredited,
        )
    assert run_worker(db, RefusingServer(), accredited) == [Result.FAILED]  # refused, not withheld
    db.clock.move_to(TODAY + timedelta(days=7))
    return queued.outbox_id


def messages(db: Db) -> list[tuple[int, str, str]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(OutboxMessageRow.id, OutboxMessageRow.status, OutboxMessageRow.subject).order_by(
                OutboxMessageRow.id
            )
        )
        return [(r.id, r.status, r.subject) for r in rows]


def text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_retry_refusal_names_send_as_a_new_message_which_replaces_the_failed_one(
    as_role, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PREVENT_IG_SMTP_FROM_ADDRESS", SENDER)
    failed = failed_untagged_referral(db)
    lead: Browser = as_role(Role.PREVENT_LEAD, "lead.resend")

    page = lead.client.get("/mail").text
    assert f'action="/mail/{failed}/retry"' in page and f'action="/mail/{failed}/resend"' in page
    assert f"Message {failed} to {NOT_SECURE}" in text(page) and "queued without [secure]" in text(page)

    refused = lead.post_form(f"/mail/{failed}/retry", {}, form_page="/mail")
    assert refused.status_code == 409
    assert "Send as a new message" in refused.text and f"prevent-ig mail resend {failed}" in refused.text

    token = lead.csrf("/mail")  # the session's; the page has no form once nothing has failed
    resent = lead.client.post(f"/mail/{failed}/resend", data={"csrf_token": token}, follow_redirects=False)
    assert resent.status_code == 303, resent.text
    [(old, old_status, old_subject), (new, new_status, new_subject)] = messages(db)
    assert resent.headers["location"] == f"/mail?resent={old}-{new}"
    assert (old, old_status, new_status) == (failed, "replaced", "queued")
    assert new_subject == f"{old_subject} [secure]"
    shown = text(lead.client.get(resent.headers["location"]).text)
    assert f"Message {failed} was replaced: message {new} is queued in its place" in shown
    assert "Replaced: 1" in shown

    again = lead.client.post(f"/mail/{failed}/resend", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 409 and "was replaced by a new message" in again.text
    assert run_worker(db, AcceptingServer()) == [Result.SENT]
    assert [status for _, status, _ in messages(db)] == ["replaced", "sent"]


def test_send_as_a_new_message_is_for_a_case_manager_and_refuses_a_message_that_does_not_exist(
    as_role, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PREVENT_IG_SMTP_FROM_ADDRESS", SENDER)
    failed = failed_untagged_referral(db)
    lead: Browser = as_role(Role.PREVENT_LEAD, "lead.resend")
    missing = lead.post_form("/mail/999/resend", {}, form_page="/mail")
    assert missing.status_code == 404 and "Outbox message 999 does not exist" in missing.text
    practitioner: Browser = as_role(Role.PRACTITIONER, "practitioner.resend")
    forbidden = practitioner.client.post(f"/mail/{failed}/resend", data={}, follow_redirects=False)
    assert forbidden.status_code in (403, 404)
    assert [status for _, status, _ in messages(db)] == ["failed"]


@pytest.mark.parametrize("resent", ["²-1", "1-²", "99999999999-1", "x"])
def test_a_notice_number_no_message_can_have_is_ignored_not_a_server_error(as_role, resent: str) -> None:  # type: ignore[no-untyped-def]
    # "?resent=OLD-NEW" only chooses a notice; "²" is a digit to str.isdigit but not to int(): a 500.
    lead: Browser = as_role(Role.PREVENT_LEAD, "lead.notice")

    page = lead.client.get("/mail", params={"resent": resent})

    assert page.status_code == 200 and "was replaced" not in page.text
