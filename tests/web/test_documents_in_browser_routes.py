"""Issue 5 through the web app: download the referral form, send it (queued in the outbox), see the
outbox, and turn an uploaded request email into a partner request."""

import re
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from prevent_ig.adapters.mail.sink import SUFFIX
from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    ClarificationRow,
    OutboxMessageRow,
    PartnerRequestRow,
    RequestDraftRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.services.consents import withdraw_consent
from prevent_ig.services.registers import ContactRole, NewContact, add_contact
from prevent_ig.services.requests import mark_answered
from tests.documents.builders import ANSWERS, partner_request, pdf_pages, referral
from tests.fixtures_db import TODAY
from tests.records.helpers import sharing_consent


@pytest.fixture(autouse=True)
def _from_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVENT_IG_SMTP_FROM_ADDRESS", "prevent.lead@demo-trust.nhs.uk")


def test_referral_form_downloads_and_sends_through_the_outbox(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.docs")
    made = referral(lead.db)
    pdf = lead.client.get(f"/cases/{made.case_id}/referral-form.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    pages = pdf_pages(pdf.content)
    assert all("OFFICIAL-SENSITIVE" in page for page in pages)
    wrong = lead.post_form(
        f"/cases/{made.case_id}/referral/send",
        {"to": "someone@elsewhere.example.org"},
        form_page=f"/cases/{made.case_id}/referral",
    )
    assert wrong.status_code == 400 and "not sent" in wrong.text
    sent = lead.post_form(
        f"/cases/{made.case_id}/referral/send",
        {"to": "prevent@northshire.pnn.police.uk"},
        form_page=f"/cases/{made.case_id}/referral",
    )
    assert sent.status_code == 303, sent.text
    outbox = lead.client.get("/mail")
    assert outbox.status_code == 200 and "Waiting to be delivered" in outbox.text
    assert "prevent@northshire.pnn.police.uk" in outbox.text


def request_email(sent: str = "Thu, 26 Nov 2026 09:00:00 +0000") -> bytes:
    message = EmailMessage()
    message["From"] = "A Coordinator <channel@synthetic.gov.uk>"
    message["To"] = "prevent.lead@demo-trust.nhs.uk"
    message["Subject"] = "OFFICIAL-SENSITIVE: Channel information request"
    message["Date"] = sent
    message["Message-ID"] = "<request-1@synthetic.gov.uk>"
    message.set_content("OFFICIAL-SENSITIVE\nPlease share GP contact details for the synthetic case.")
    return bytes(message)


def test_a_request_email_becomes_a_draft_and_then_a_partner_request(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.import")
    made = referral(lead.db)
    token = lead.csrf("/requests/import")
    missing = lead.client.post("/requests/import", data={"csrf_token": token, "case_id": str(made.case_id)})
    assert missing.status_code == 400 and "Choose the request email" in missing.text
    uploaded = upload(lead, token, str(made.case_id), request_email())
    assert uploaded.status_code == 303, uploaded.text
    draft_url = uploaded.headers["location"]
    page = lead.client.get(draft_url)
    assert "Channel information request" in page.text and "check it yourself" in page.text
    done = lead.post_form(
        draft_url,
        {
            "case_id": str(made.case_id),
            "organisation": "Synthetic County Council",
            "person": "A Coordinator",
            "role": "Channel coordinator",
            "recipient_type": "channel_panel",
            "purpose": "channel_information_gathering",
            "items": "GP contact details",
            "checks": ["proforma", "secure_channel", "consent_position_stated", "specific"],
            "powers": ["CTSA2015.s38"],
            **received(TODAY),
        },
    )
    assert done.status_code == 303, done.text
    with lead.db.uow() as uow:
        row = uow.session.scalars(select(PartnerRequestRow)).one()
        assert (row.organisation, row.email) == ("Synthetic County Council", "channel@synthetic.gov.uk")
    again = upload(lead, token, str(made.case_id), request_email())
    assert again.status_code == 400 and "already imported" in again.text


def upload(lead, token: str, case_id: str, raw: bytes):  # type: ignore[no-untyped-def]
    """The import form posted with one email file, as the page sends it; the response as it comes."""
    return lead.client.post(
        "/requests/import",
        data={"csrf_token": token, "case_id": case_id},
        files={"email_file": ("request.eml", raw, "message/rfc822")},
        follow_redirects=False,
    )


def received(day: date) -> dict[str, str | list[str]]:
    return {"received[day]": str(day.day), "received[month]": str(day.month), "received[year]": str(day.year)}


COMPLETION: dict[str, str | list[str]] = {
    "organisation": "Synthetic County Council",
    "person": "A Coordinator",
    "role": "Channel coordinator",
    "recipient_type": "channel_panel",
    "purpose": "channel_information_gathering",
    "items": "GP contact details",
    "checks": ["proforma", "secure_channel", "consent_position_stated", "specific"],
}


def test_the_draft_shows_when_the_email_was_sent_and_asks_when_the_request_arrived(as_role) -> None:  # type: ignore[no-untyped-def]
    """The form never asked, and the request was clocked from the day the email was imported; the
    clock counts from when it came, so the lead confirms or corrects the email's day in England."""
    lead = as_role(Role.PREVENT_LEAD, "lead.arrived")
    made = referral(lead.db)
    token = lead.csrf("/requests/import")
    # 23:30 in California on the 20th is 07:30 on the 21st in England (and UTC).
    uploaded = upload(lead, token, str(made.case_id), request_email("Fri, 20 Nov 2026 23:30:00 -0800"))
    assert uploaded.status_code == 303, uploaded.text
    draft_url = uploaded.headers["location"]

    page = lead.client.get(draft_url)

    assert page.status_code == 200
    sent = re.search(r'id="sent-on">([^<]*)<', page.text)
    assert sent is not None and sent.group(1) == "21 November 2026"
    assert "which has passed" not in page.text  # due on the 27th: nothing to warn of
    for name, value in (("day", "21"), ("month", "11"), ("year", "2026")):
        assert re.search(rf'name="received\[{name}\]"[^>]*value="{value}"', page.text), name
    form = {**COMPLETION, "case_id": str(made.case_id)}
    for dated, says in (
        ({}, "Enter the date the request arrived"),
        (received(TODAY + timedelta(days=1)), "The date the request arrived must be today or earlier"),
        ({**received(TODAY), "received[year]": "1899"}, "Enter the date the request arrived"),
        ({**received(TODAY), "received[year]": "26"}, "Enter the date the request arrived"),
        (
            {**received(TODAY), "received[day]": "31", "received[month]": "2"},
            "Enter the date the request arrived",
        ),
    ):
        refused = lead.post_form(draft_url, {**form, **dated})
        assert refused.status_code == 400, dated
        assert says in refused.text and 'href="#received-day"' in refused.text, dated
    with lead.db.uow() as uow:
        assert uow.session.scalars(select(PartnerRequestRow)).all() == []
        assert uow.session.scalars(select(RequestDraftRow.status)).one() == "draft"

    done = lead.post_form(draft_url, {**form, **received(date(2026, 11, 21))})

    assert done.status_code == 303, done.text
    with lead.db.uow() as uow:
        row = uow.session.scalars(select(PartnerRequestRow)).one()
        assert (row.received_on, row.due_on) == (date(2026, 11, 21), date(2026, 11, 27))
    shown = lead.client.get(done.headers["location"])
    assert "21 November 2026" in shown.text


def test_the_draft_warns_when_the_emails_own_date_has_already_run_the_clock_out(as_role) -> None:  # type: ignore[no-untyped-def]
    """The form is filled in with the email's date, and the lead who sends it unread records a request
    that was late before it was opened; a sender's clock set wrong would do the same. The page says so
    beside the date, where the lead confirms it (the service asks for the day outright: test_request_import)."""
    lead = as_role(Role.PREVENT_LEAD, "lead.early")
    made = referral(lead.db)
    token = lead.csrf("/requests/import")
    uploaded = upload(lead, token, str(made.case_id), request_email("Tue, 10 Nov 2026 09:00:00 +0000"))
    assert uploaded.status_code == 303, uploaded.text

    page = lead.client.get(uploaded.headers["location"])

    assert page.status_code == 200
    assert "Counted from that day, the request was due on 17 November 2026, which has passed" in page.text


def test_record_note_downloads_and_a_letter_needs_a_partner_request(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.notes")
    made = referral(lead.db)
    note = lead.client.get(f"/decisions/{made.assessment_id}/record-note.pdf")
    assert note.status_code == 200 and note.headers["content-type"] == "application/pdf"
    assert any("OFFICIAL-SENSITIVE" in page for page in pdf_pages(note.content))
    letter = lead.post_form(
        f"/decisions/{made.assessment_id}/clarification-letter.pdf", {}, form_page=f"/cases/{made.case_id}"
    )
    assert letter.status_code == 409 and "no partner request" in letter.text


def test_the_clarification_letter_stops_the_clock_and_is_refused_once_the_request_is_answered(
    as_role,
) -> None:  # type: ignore[no-untyped-def]
    """The letter said nothing would be shared until the requestor replied, while the request page
    showed it open and its clock running; and it could be issued for a request already answered."""
    lead = as_role(Role.PREVENT_LEAD, "lead.letters")
    made = partner_request(lead.db, complete=False)
    url = f"/decisions/{made.assessment_id}/clarification-letter.pdf"

    assert lead.client.get(url).status_code == 405  # a link followed by anyone or anything changes nothing
    assert "awaiting" not in lead.client.get(f"/requests/{made.request_id}").text
    case_page = f"/cases/{made.case_id}"
    assert f'action="{url}"' in lead.client.get(case_page).text  # the case page's button
    first = lead.post_form(url, {}, form_page=case_page)

    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    shown = lead.client.get(f"/requests/{made.request_id}")
    assert "Status: <strong>awaiting clarification</strong>" in shown.text
    assert "The clock has stopped until the requestor answers." in shown.text
    assert lead.post_form(url, {}, form_page=case_page).status_code == 200  # again: a copy, asked once
    with lead.db.uow() as uow:
        asked = uow.session.scalars(
            select(ClarificationRow).where(ClarificationRow.request_id == made.request_id)
        ).all()
        assert [c.missing for c in asked] == [
            ["request_proforma", "request_consent_position", "request_specific"]
        ]

    answered = partner_request(lead.db, complete=False)
    with lead.db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=answered.request_id, on=TODAY)
    answered_page = f"/cases/{answered.case_id}"
    assert "clarification-letter" not in lead.client.get(answered_page).text  # no button once answered
    refused = lead.post_form(
        f"/decisions/{answered.assessment_id}/clarification-letter.pdf", {}, form_page=answered_page
    )
    assert refused.status_code == 409
    assert f"Request {answered.request_id} was answered on {TODAY}" in refused.text
    with lead.db.uow() as uow:
        assert uow.session.get(PartnerRequestRow, answered.request_id).status == "answered"  # type: ignore[union-attr]


def test_a_message_downloaded_from_the_demo_mail_sink_is_audited_against_its_case(
    as_role, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # The sink keeps what was sent, the referral form with the subject's details among it.
    monkeypatch.chdir(tmp_path)  # the sink is data/mail-sink under where the app runs
    lead = as_role(Role.PREVENT_LEAD, "lead.sink")
    made = referral(lead.db)
    sent = lead.post_form(
        f"/cases/{made.case_id}/referral/send",
        {"to": "prevent@northshire.pnn.police.uk"},
        form_page=f"/cases/{made.case_id}/referral",
    )
    assert sent.status_code == 303, sent.text
    with lead.db.uow() as uow:
        queued = uow.session.scalars(select(OutboxMessageRow)).one()
        message_id, raw = queued.id, queued.raw
    sink = tmp_path / "data" / "mail-sink"
    sink.mkdir(parents=True)
    (sink / f"kept{SUFFIX}").write_bytes(raw)

    downloaded = lead.client.get(f"/mail/sink/kept{SUFFIX}")

    assert downloaded.status_code == 200 and downloaded.content == raw
    with lead.db.uow() as uow:
        newest = uow.session.execute(
            select(AuditEventRow.event, AuditEventRow.case_id, AuditEventRow.entity, AuditEventRow.actor)
            .order_by(AuditEventRow.seq.desc())
            .limit(1)
        ).one()
    assert tuple(newest) == (
        "mail:sink:view",
        made.case_id,
        f"message:{message_id}",
        "lead.sink",
    )


HEADERS = (
    b"From: A Coordinator <channel@synthetic.gov.uk>\r\nTo: prevent.lead@demo-trust.nhs.uk\r\n"
    b"Date: Thu, 26 Nov 2026 09:00:00 +0000\r\n"
)
NUL_EMAILS = {  # NULs only decoding reveals: PostgreSQL refused them (a 500), SQLite stored them
    "subject": HEADERS + b"Subject: =?utf-8?q?OFFICIAL=00request?=\r\n\r\nPlease share.\r\n",
    "body": HEADERS + b"Subject: OFFICIAL: request\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"please=00share\r\n",
}


@pytest.mark.parametrize("part", list(NUL_EMAILS))
def test_an_uploaded_email_with_a_nul_revealed_by_decoding_is_refused_naming_nothing_written(
    as_role, part: str
) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.nul")
    made = referral(lead.db)
    token = lead.csrf("/requests/import")
    refused = upload(lead, token, str(made.case_id), NUL_EMAILS[part])
    assert refused.status_code == 400, refused.text
    assert "There is a problem" in refused.text
    assert "The email could not be used: contains a NUL character" in refused.text
    with lead.db.uow() as uow:
        assert uow.session.scalars(select(RequestDraftRow)).all() == []


BAD_CASE_NUMBERS = {
    "²": "Enter a case number using digits only, like 12",  # a digit to isdigit(), not to int(): a 500
    "9" * 25: "Enter a case number from 1 to 2147483647",  # past PostgreSQL's integer: a 500
    "99999999999": "Enter a case number from 1 to 2147483647",
    "0": "Enter a case number from 1 to 2147483647",
}


@pytest.mark.parametrize("typed", list(BAD_CASE_NUMBERS))
def test_a_case_number_no_case_can_have_is_a_field_error_on_import_and_on_completing(
    as_role, typed: str
) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.case")
    made = referral(lead.db)
    token = lead.csrf("/requests/import")
    refused = upload(lead, token, typed, request_email())
    assert refused.status_code == 400, refused.text
    assert 'href="#case_id"' in refused.text and BAD_CASE_NUMBERS[typed] in refused.text
    uploaded = upload(lead, token, str(made.case_id), request_email())
    assert uploaded.status_code == 303, uploaded.text
    draft_url = uploaded.headers["location"]
    not_completed = lead.post_form(
        draft_url,
        {
            "case_id": typed,
            "organisation": "Synthetic County Council",
            "person": "A Coordinator",
            "role": "Channel coordinator",
            "recipient_type": "channel_panel",
            "purpose": "channel_information_gathering",
            "items": "GP contact details",
            "checks": ["proforma", "secure_channel", "consent_position_stated", "specific"],
            "powers": ["CTSA2015.s38"],
        },
    )
    assert not_completed.status_code == 400, not_completed.text
    assert 'href="#case_id"' in not_completed.text and BAD_CASE_NUMBERS[typed] in not_completed.text
    with lead.db.uow() as uow:
        assert uow.session.scalars(select(PartnerRequestRow)).all() == []


def test_a_from_address_setting_outside_ascii_is_named_when_sending(
    as_role, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PREVENT_IG_SMTP_FROM_ADDRESS", "prevent.léad@demo-trust.nhs.uk")
    lead = as_role(Role.PREVENT_LEAD, "lead.from")
    made = referral(lead.db)
    refused = lead.post_form(
        f"/cases/{made.case_id}/referral/send",
        {"to": "prevent@northshire.pnn.police.uk"},
        form_page=f"/cases/{made.case_id}/referral",
    )
    assert refused.status_code == 400
    assert "PREVENT_IG_SMTP_FROM_ADDRESS: must be written in ASCII letters" in refused.text
    assert "codec" not in refused.text  # was the raw UnicodeEncodeError, from every send
    with lead.db.uow() as uow:
        assert uow.session.scalars(select(OutboxMessageRow)).all() == []


def test_the_referral_page_names_the_register_contact_the_form_falls_back_on(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.referrer")
    made = referral(lead.db, answers={k: v for k, v in ANSWERS.items() if not k.startswith("referrer_")})
    page = f"/cases/{made.case_id}/referral"
    assert "No Prevent lead in the contacts register" in lead.client.get(page).text
    with lead.db.uow() as uow:
        for name, email in (
            ("Synthetic First Lead", "first@demo-trust.nhs.uk"),
            ("Synthetic New Lead", "new@demo-trust.nhs.uk"),
        ):
            contact = NewContact(role=ContactRole.PREVENT_LEAD, name=name, email=email)
            add_contact(uow=uow, actor="ig.a", contact=contact)

    shown = " ".join(lead.client.get(page).text.split())

    assert (
        "Synthetic First Lead (first@demo-trust.nhs.uk), the Prevent lead in the contacts register" in shown
    )
    assert "The register holds 2 Prevent lead contacts: this is the first one added." in shown
    pdf = " ".join(pdf_pages(lead.client.get(f"/cases/{made.case_id}/referral-form.pdf").content))
    assert "Synthetic First Lead" in pdf and "Synthetic New Lead" not in pdf  # as the page said


def test_the_referral_page_shows_the_consent_to_sharing_in_force(as_role) -> None:  # type: ignore[no-untyped-def]
    # Not the last consent of any kind, and not "given" once it has been withdrawn.
    lead = as_role(Role.PREVENT_LEAD, "lead.consent")
    made = referral(lead.db)
    page = f"/cases/{made.case_id}/referral"
    assert "No consent to sharing recorded on the case" in lead.client.get(page).text
    consent_id = sharing_consent(lead.db, made.case_id, actor="lead.consent")
    assert "Consent to sharing given" in lead.client.get(page).text
    with lead.db.uow() as uow:
        withdraw_consent(uow=uow, actor="lead.consent", case_id=made.case_id, consent_id=consent_id, on=TODAY)

    shown = lead.client.get(page).text

    assert f"Consent to sharing withdrawn on {TODAY.day} {TODAY:%B %Y}" in shown
    assert "Consent to sharing given" not in shown
