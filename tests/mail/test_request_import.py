"""Partner requests arriving by email: a draft with a proposal the lead confirms, attachments kept as
received, and hostile or malformed emails refused whole with nothing written."""

import json
from dataclasses import replace
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from prevent_ig.adapters.mail.inbound import MAX_EMAIL_BYTES, parse_request_email
from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    PartnerRequestRow,
    RequestAttachmentRow,
    RequestDraftRow,
)
from prevent_ig.domain.law.vocabulary import Purpose, RecipientType
from prevent_ig.entrypoints.cli.documents import requests_app
from prevent_ig.services.errors import InvalidFieldError, RefusedError
from prevent_ig.services.request_import import (
    DraftCompletion,
    DraftView,
    attachment_content,
    complete_draft,
    discard_draft,
    import_request_email,
    list_drafts,
    view_draft,
)
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case

PROFORMA = b"%PDF-1.7\nsynthetic request proforma\n%%EOF\n"
HEADERS = {
    "From": "Synthetic Coordinator <channel@northshire.gov.uk>",
    "To": "prevent.lead@example-trust.nhs.uk",
    "Subject": "OFFICIAL-SENSITIVE: request for information (synthetic)",
    "Date": "Tue, 24 Nov 2026 09:15:00 +0000",
    "Message-ID": "<synthetic-1@northshire.gov.uk>",
}


def request_email(
    body: str = "Synthetic request: please share current support. OFFICIAL-SENSITIVE", **headers: str | None
) -> bytes:
    message = EmailMessage()
    for name, value in {**HEADERS, **headers}.items():
        if value is not None:
            message[name] = value
    message.set_content(body)
    message.add_attachment(PROFORMA, maintype="application", subtype="pdf", filename="proforma.pdf")
    message.add_attachment(
        b"PK\x03\x04synthetic", maintype="application", subtype="octet-stream", filename="../../notes.docx"
    )
    return message.as_bytes(policy=SMTP)


def import_raw(db: Db, raw: bytes, case_id: int | None = None) -> DraftView:
    with db.uow() as uow:
        return import_request_email(
            uow=uow, actor="lead.a", raw=raw, on=TODAY, config=db.config, case_id=case_id
        )


def written(db: Db) -> list[int]:
    """How many drafts, attachments and audit events there are."""
    with db.uow() as uow:
        return [
            uow.session.scalar(select(func.count()).select_from(table)) or 0
            for table in (RequestDraftRow, RequestAttachmentRow, AuditEventRow)
        ]


def test_a_request_email_becomes_a_draft_with_its_attachments_and_a_proposal(db: Db) -> None:
    case_id = open_case(db)
    draft = import_raw(db, request_email(), case_id)
    assert draft.status == "draft" and draft.case_id == case_id
    assert (
        draft.sender_address == "channel@northshire.gov.uk" and draft.sender_name == "Synthetic Coordinator"
    )
    assert draft.subject == HEADERS["Subject"]
    assert draft.body.startswith("Synthetic request: please share current support.")
    assert draft.sent_at is not None and draft.sent_at.isoformat() == "2026-11-24T09:15:00"
    assert (draft.secure_domain, draft.marking, draft.proposed_secure_channel) == (
        True,
        "OFFICIAL-SENSITIVE",
        True,
    )
    assert "Proposed as a secure channel" in draft.explanation and "can be forged" in draft.explanation
    assert [(a.filename, a.content_type, a.size) for a in draft.attachments] == [
        ("proforma.pdf", "application/pdf", len(PROFORMA)),
        ("notes.docx", "application/octet-stream", 13),  # no folders in a kept file name
    ]
    with db.uow() as uow:
        view, content = attachment_content(uow=uow, actor="lead.a", attachment_id=draft.attachments[0].id)
    assert content == PROFORMA and view.sha256 == draft.attachments[0].sha256
    with db.uow() as uow:
        assert [d.id for d in list_drafts(uow=uow, actor="lead.a")] == [draft.id]
    with db.uow() as uow:
        events = list(uow.session.scalars(select(AuditEventRow.event).order_by(AuditEventRow.seq)))
    assert events[-3:] == ["request:draft:create", "request:attachment:view", "request:draft:list"]


@pytest.mark.parametrize(
    ("sender", "subject", "body", "proposed", "marking"),
    [
        ("x@northshire-council.org.uk", "OFFICIAL-SENSITIVE request", "text", False, "OFFICIAL-SENSITIVE"),
        (
            "x@northshire.gov.uk",
            "Request for information",
            "an official request, nothing marked",
            False,
            None,
        ),
        ("x@northshire.pnn.police.uk", "Request", "Marking: OFFICIAL", True, "OFFICIAL"),
        ("x@nhs.net", "OFFICIAL SENSITIVE - request", "text", True, "OFFICIAL-SENSITIVE"),
        ("x@gov.uk.example.com", "OFFICIAL-SENSITIVE", "text", False, "OFFICIAL-SENSITIVE"),
    ],
)
def test_secure_channel_is_proposed_only_for_a_secure_domain_and_a_marking(
    db: Db, sender: str, subject: str, body: str, proposed: bool, marking: str | None
) -> None:
    draft = import_raw(db, request_email(body, From=sender, Subject=subject))
    assert (draft.proposed_secure_channel, draft.marking) == (proposed, marking)


def test_an_html_only_email_keeps_its_words_and_none_of_its_markup(db: Db) -> None:
    message = EmailMessage()
    for name, value in HEADERS.items():
        message[name] = value
    message.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Synthetic request</p><p>OFFICIAL-SENSITIVE &amp; urgent</p><img src='https://example.org/t.gif'></body></html>",
        subtype="html",
    )
    draft = import_raw(db, message.as_bytes(policy=SMTP))
    assert draft.body == "Synthetic request\nOFFICIAL-SENSITIVE & urgent"
    assert draft.attachments == []


@pytest.mark.parametrize(
    ("html", "words"),
    [  # what CPython's parser before 3.11.13 rescanned to the end from (36 KB of "<a " took 18 s)
        ("<p>Keep a <b and c</p>" + "<a " * 20_000, "Keep a <b and c<a <a <a "),
        ("<p>Before</p><!-- never closed <p>hidden" + "<!--a>" * 20_000, "Before"),
        ("<p>Before</p><![CDATA[ never closed" + "x>" * 20_000, "Before"),
    ],
)
def test_html_the_parser_cannot_finish_keeps_its_words_as_text(db: Db, html: str, words: str) -> None:
    message = EmailMessage()
    for name, value in HEADERS.items():
        message[name] = value
    message.set_content(html, subtype="html")
    draft = import_raw(db, message.as_bytes(policy=SMTP))
    assert draft.body.startswith(words)


def test_the_same_email_is_not_imported_twice(db: Db) -> None:
    raw = request_email()
    first = import_raw(db, raw)
    with pytest.raises(RefusedError, match=f"already imported as draft {first.id}"):
        import_raw(db, raw)


def test_completing_a_draft_records_the_partner_request_with_the_leads_answers(db: Db) -> None:
    case_id = open_case(db)
    draft = import_raw(db, request_email())
    completion = DraftCompletion(
        organisation="Northshire Channel Panel (synthetic)",
        person="Synthetic Coordinator",
        role="Channel coordinator",
        recipient_type=RecipientType.CHANNEL_PANEL,
        purpose=Purpose.CHANNEL_INFORMATION_GATHERING,
        items_requested=["current mental health support"],
        proforma=True,
        secure_channel=True,
        consent_position_stated=True,
        reason_given=True,
        specific=True,
        legal_powers_cited=["CTSA2015.s38"],
    )
    with db.uow() as uow:
        request_id = complete_draft(
            uow=uow,
            actor="lead.a",
            draft_id=draft.id,
            case_id=case_id,
            completion=completion,
            calendar=db.config.calendar,
            today=TODAY,
        )
    with db.uow() as uow:
        request = uow.session.get(PartnerRequestRow, request_id)
        assert request is not None
        assert (request.email, request.case_id, request.received_on, request.secure_channel) == (
            "channel@northshire.gov.uk",
            case_id,
            date(2026, 11, 24),  # the email's Date, not the day it was imported (TODAY, 26 November)
            True,
        )
        assert request.due_on.isoformat() == "2026-12-01"  # 5 England working days from the email
        events = list(uow.session.scalars(select(AuditEventRow.event).order_by(AuditEventRow.seq)))
    assert events[-2:] == ["case:request:create", "request:draft:complete"]
    with db.uow() as uow:
        done = view_draft(uow=uow, actor="lead.a", draft_id=draft.id)
    assert (done.status, done.request_id, done.case_id) == ("completed", request_id, case_id)
    with db.uow() as uow, pytest.raises(RefusedError, match="is completed"):
        complete_draft(
            uow=uow,
            actor="lead.a",
            draft_id=draft.id,
            case_id=case_id,
            completion=completion,
            calendar=db.config.calendar,
            today=TODAY,
        )
    other = import_raw(db, request_email(Subject="Second synthetic request"))
    with db.uow() as uow, pytest.raises(InvalidFieldError) as bad:
        complete_draft(
            uow=uow,
            actor="lead.a",
            draft_id=other.id,
            case_id=case_id,
            completion=replace(completion, legal_powers_cited=["NotALaw.1"]),
            calendar=db.config.calendar,
            today=TODAY,
        )
    assert bad.value.field == "legal_powers_cited"
    with db.uow() as uow:
        assert view_draft(uow=uow, actor="lead.a", draft_id=other.id).status == "draft"  # nothing half-done
        discard_draft(uow=uow, actor="lead.a", draft_id=other.id, reason="Synthetic duplicate")


COMPLETION = DraftCompletion(
    organisation="Northshire Channel Panel (synthetic)",
    person="Synthetic Coordinator",
    role="Channel coordinator",
    recipient_type=RecipientType.CHANNEL_PANEL,
    purpose=Purpose.CHANNEL_INFORMATION_GATHERING,
    items_requested=["current mental health support"],
    proforma=True,
    secure_channel=True,
    consent_position_stated=True,
    reason_given=True,
    specific=True,
)


def completed(db: Db, draft: DraftView, completion: DraftCompletion = COMPLETION) -> PartnerRequestRow:
    case_id = open_case(db)
    with db.uow() as uow:
        request_id = complete_draft(
            uow=uow,
            actor="lead.a",
            draft_id=draft.id,
            case_id=case_id,
            completion=completion,
            calendar=db.config.calendar,
            today=TODAY,
        )
    with db.uow() as uow:
        request = uow.session.get(PartnerRequestRow, request_id)
        assert request is not None
        uow.session.expunge(request)
        return request


@pytest.mark.parametrize(
    ("date_header", "sent_on", "received_on"),
    [
        # 23:30 UTC in summer is half past midnight in England: sent, and received, on 1 June.
        ("Sun, 31 May 2026 23:30:00 +0000", date(2026, 6, 1), date(2026, 6, 1)),
        # Sent in the evening in New York, 03:30 on 20 November in England.
        ("Thu, 19 Nov 2026 22:30:00 -0500", date(2026, 11, 20), date(2026, 11, 20)),
        # A Date after the import is the sender's clock, not the arrival: the import day stands in.
        ("Tue, 01 Dec 2026 09:00:00 +0000", date(2026, 12, 1), TODAY),
        # A year no record can hold gives no day at all.
        ("Fri, 31 Dec 9999 12:00:00 +0000", None, TODAY),
    ],
    ids=["bst-midnight", "new-york", "after-import", "year-9999"],
)
def test_an_imported_request_is_clocked_from_the_emails_day_in_england_not_the_import(
    db: Db, date_header: str, sent_on: date | None, received_on: date
) -> None:
    """The request used to be clocked from the day it was imported, giving the lead the days the
    email sat unread; the clock counts from when the request came (entrypoints/web/routes/requests)."""
    draft = import_raw(db, request_email(Date=date_header))
    assert (draft.sent_on, draft.imported_on, draft.received_on) == (sent_on, TODAY, received_on)
    due_on = db.config.calendar.add_working_days(received_on, 5)
    if due_on < TODAY:  # June's email: the next test shows the lead must confirm its day
        return

    request = completed(db, draft)

    assert request.received_on == received_on
    assert request.due_on == due_on


def test_the_lead_can_give_the_day_the_request_arrived_instead(db: Db) -> None:
    draft = import_raw(db, request_email())  # sent 24 November
    request = completed(db, draft, replace(COMPLETION, received_on=date(2026, 11, 25)))
    assert (request.received_on, request.due_on) == (date(2026, 11, 25), date(2026, 12, 2))


@pytest.mark.parametrize(
    ("date_header", "named_due"),
    [
        ("Mon, 01 Jan 2001 09:00:00 +0000", "2001-01-08"),  # a sender's clock years out
        ("Tue, 17 Nov 2026 09:00:00 +0000", "2026-11-24"),  # a week in a shared inbox: maybe true
    ],
    ids=["clock-years-out", "unread-a-week"],
)
def test_an_email_dated_too_early_to_answer_in_time_is_not_taken_on_its_word(
    db: Db, date_header: str, named_due: str
) -> None:
    """The email's Date is the sender's claim. Taken as the day of arrival when it would already have
    run the request's 5 days out, a wrong clock would make the request late for good in the oversight
    report before anyone could answer it; so the lead is asked for the day instead (nothing recorded),
    and giving it, even as the email's own date, records the request as overdue."""
    draft = import_raw(db, request_email(Date=date_header))
    sent = draft.sent_on
    assert sent is not None and draft.received_on == sent  # the draft still shows what the email says
    before = written(db)

    with pytest.raises(InvalidFieldError) as refused:
        completed(db, draft)

    assert refused.value.field == "received_on"
    assert f"dated {sent.isoformat()}" in str(refused.value) and f"due on {named_due}" in str(refused.value)
    with db.uow() as uow:
        assert view_draft(uow=uow, actor="lead.a", draft_id=draft.id).status == "draft"
        assert uow.session.scalar(select(func.count()).select_from(PartnerRequestRow)) == 0
    assert written(db)[:2] == before[:2]

    request = completed(db, draft, replace(COMPLETION, received_on=sent))
    assert (request.received_on, request.due_on.isoformat()) == (sent, named_due)


def multipart(depth: int) -> bytes:
    inner = EmailMessage()
    inner.set_content("Synthetic innermost text")
    for _ in range(depth):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(inner)
        inner = outer
    for name, value in HEADERS.items():
        inner[name] = value
    return inner.as_bytes(policy=SMTP)


def with_attached_email() -> bytes:
    message = EmailMessage()
    for name, value in HEADERS.items():
        message[name] = value
    message.set_content("Synthetic: see the attached email")
    attached = EmailMessage()
    attached["Subject"] = "forwarded"
    attached.set_content("Synthetic forwarded text")
    message.add_attachment(attached)
    return message.as_bytes(policy=SMTP)


def raw_email(*lines: str, body: bytes = b"Synthetic body\r\n") -> bytes:
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


BASE_LINES = (f"From: {HEADERS['From']}", f"Date: {HEADERS['Date']}", f"Subject: {HEADERS['Subject']}")

HOSTILE = {
    "huge": (b"From: a@nhs.net\r\n\r\n" + b"x" * MAX_EMAIL_BYTES, "file", "emails over 20.0 MB are refused"),
    "empty": (b"  \r\n", "file", "is empty"),
    "garbage": (bytes(range(256)) * 4, "From", "header is missing"),
    "no from": (raw_email(*BASE_LINES[1:]), "From", "header is missing"),
    "no date": (raw_email(BASE_LINES[0], BASE_LINES[2]), "Date", "header is missing"),
    "no subject": (raw_email(*BASE_LINES[:2]), "Subject", "header is missing"),
    "two senders headers": (raw_email(*BASE_LINES, "From: other@nhs.net"), "From", "appears 2 times"),
    "two senders in one": (
        raw_email("From: a@nhs.net, b@nhs.net", *BASE_LINES[1:]),
        "From",
        "names 2 senders",
    ),
    "bad sender": (raw_email("From: not an address", *BASE_LINES[1:]), "From", ""),
    "bad date": (
        raw_email(BASE_LINES[0], "Date: the day after tomorrow", BASE_LINES[2]),
        "Date",
        "cannot be read",
    ),
    "unknown charset": (
        raw_email(*BASE_LINES, "Content-Type: text/plain; charset=x-synthetic-8"),
        "message",
        "declares an unknown character set 'x-synthetic-8'",
    ),
    "wrong charset": (
        raw_email(
            *BASE_LINES, "Content-Type: text/plain; charset=utf-8", body=b"Synthetic \xff\xfe request\r\n"
        ),
        "message",
        "is not valid utf-8 text",
    ),
    "undeclared eight-bit": (
        raw_email(*BASE_LINES, body=b"Synthetic caf\xe9\r\n"),
        "message",
        "not valid us-ascii",
    ),
    "attached email": (with_attached_email(), "part 3", "is an attached email"),
    "deep nesting": (multipart(5), "part 4", "nests parts more than 3 levels deep"),
    "bad base64": (
        raw_email(
            *BASE_LINES,
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=b",
            body=b"--b\r\nContent-Type: text/plain\r\n\r\nSynthetic\r\n--b\r\nContent-Type: application/pdf\r\n"
            b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n"
            b"JVBERi0x*&^%\r\n--b--\r\n",
        ),
        "part 3",
        "invalid base64 characters",
    ),
    "line break encoded in the sender's name": (  # named the whole "file" before
        raw_email("From: =?utf-8?q?Evil=0D=0ABcc=3A_x=40y=2Ecom?= <a@nhs.net>", *BASE_LINES[1:]),
        "From",
        "cannot be read",
    ),
    "a transfer encoding given as the character set": (
        raw_email(*BASE_LINES, "Content-Type: text/plain; charset=base64"),
        "message",
        "cannot be read",
    ),
    "date past the year 9999": (  # the zone offset carries it past the last date there is
        raw_email(BASE_LINES[0], "Date: Fri, 31 Dec 9999 23:00:00 -0100", BASE_LINES[2]),
        "Date",
        "cannot be read",
    ),
    "thousands of nested parts": (  # the standard parser itself gives up (RecursionError)
        raw_email(
            *BASE_LINES,
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="b0"',
            body=b"".join(
                f'--b{n}\r\nContent-Type: multipart/mixed; boundary="b{n + 1}"\r\n\r\n'.encode()
                for n in range(3000)
            ),
        ),
        "file",
        "nests parts more than 3 levels deep",
    ),
    # A NUL that only decoding reveals: PostgreSQL refused it (500 on the web, a traceback in the
    # CLI), and SQLite stored it.
    "NUL in an encoded subject": (
        raw_email(*BASE_LINES[:2], "Subject: =?utf-8?q?OFFICIAL=00request?="),
        "Subject",
        "contains a NUL character",
    ),
    "NUL in a quoted-printable body": (
        raw_email(*BASE_LINES, "Content-Transfer-Encoding: quoted-printable", body=b"please=00share\r\n"),
        "message",
        "contains a NUL character",
    ),
    "NUL in an encoded Message-ID": (
        raw_email(*BASE_LINES, "Message-ID: =?utf-8?q?<synthetic=00id@northshire.gov.uk>?="),
        "Message-ID",
        "contains a NUL character",
    ),
    "NUL in a base64 HTML part": (
        raw_email(
            *BASE_LINES,
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=b",
            body=b"--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"PHA+YQBiPC9wPg==\r\n--b--\r\n",
        ),
        "part 2",
        "contains a NUL character",
    ),
    "broken multipart": (
        raw_email(
            *BASE_LINES, 'Content-Type: multipart/mixed; boundary="synthetic"', body=b"no boundary here\r\n"
        ),
        "message",
        "is malformed",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_malformed_or_hostile_email_is_refused_clearly_and_creates_nothing(db: Db, case: str) -> None:
    raw, field, words = HOSTILE[case]
    before = written(db)
    with pytest.raises(InvalidFieldError) as caught:
        import_raw(db, raw)
    assert caught.value.field == field, caught.value
    assert words in caught.value.message
    assert written(db) == before


def test_too_many_parts_or_attachments_are_refused() -> None:
    message = EmailMessage()
    for name, value in HEADERS.items():
        message[name] = value
    message.set_content("Synthetic")
    for number in range(25):
        message.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{number}.bin")
    with pytest.raises(ValueError, match="more than 20 attachments"):
        parse_request_email(message.as_bytes(policy=SMTP))


runner = CliRunner()


def test_requests_import_from_the_command_line(db: Db, tmp_path: Path) -> None:
    env = db.cli_env(tmp_path / "data")
    good = tmp_path / "request.eml"
    good.write_bytes(request_email())
    result = runner.invoke(requests_app, ["import", str(good), "--today", "2026-11-26"], env=env)
    assert result.exit_code == 0, result.output
    assert "Proposed as a secure channel" in result.stdout and "attachment" in result.stdout
    listed = runner.invoke(requests_app, ["drafts"], env=env)
    assert "northshire.gov.uk: secure channel proposed, 2 file(s)" in listed.stdout

    bad = tmp_path / "bad.eml"
    bad.write_bytes(raw_email(*BASE_LINES[1:]))
    refused = runner.invoke(requests_app, ["import", str(bad)], env=env)
    assert refused.exit_code == 2
    assert refused.stderr.strip() == "error: From: header is missing"

    details = tmp_path / "details.yaml"
    details.write_text(
        "organisation: Northshire Channel Panel (synthetic)\nperson: Synthetic Coordinator\nrole: Coordinator\n"
        "recipient_type: channel_panel\npurpose: channel_information_gathering\nitems_requested: [GP details]\n"
        "proforma: true\nsecure_channel: true\nconsent_position_stated: true\nreason_given: true\n"
        "specific: true\nlegal_powers_cited: [CTSA2015.s38]\n"
    )
    case_id = open_case(db)
    completed = runner.invoke(
        requests_app, ["complete", "1", "--case", str(case_id), "--details", str(details)], env=env
    )
    assert completed.exit_code == 0, completed.output
    assert f"draft 1 recorded as partner request 1 on case {case_id}" in completed.stdout
    with db.uow() as uow:  # imported on the 26th; the email is dated the 24th, and so is the request
        assert uow.session.scalars(select(PartnerRequestRow.received_on)).one() == date(2026, 11, 24)
    shown = runner.invoke(requests_app, ["draft", "1"], env=env)
    assert (
        "Sent: 2026-11-24 (the Date header, in England); received_on defaults to 2026-11-24" in shown.stdout
    )
    early = tmp_path / "early.eml"  # a sender's clock years out: the lead must give the day
    early.write_bytes(request_email(Date="Mon, 01 Jan 2001 09:00:00 +0000", **{"Message-ID": "<e@x.gov.uk>"}))
    assert runner.invoke(requests_app, ["import", str(early)], env=env).exit_code == 0
    shown = runner.invoke(requests_app, ["draft", "2"], env=env)
    assert "would make the request due on 2001-01-08, already past: give received_on" in shown.stdout
    asked = runner.invoke(
        requests_app, ["complete", "2", "--case", str(case_id), "--details", str(details)], env=env
    )
    assert asked.exit_code == 2 and asked.stderr.startswith(
        "error: received_on: the email is dated 2001-01-01"
    )
    details.write_text(details.read_text() + "received_on: 2001-01-01\n")
    confirmed = runner.invoke(
        requests_app, ["complete", "2", "--case", str(case_id), "--details", str(details)], env=env
    )
    assert confirmed.exit_code == 0, confirmed.output
    details.write_text("organisation: x\n")
    incomplete = runner.invoke(
        requests_app, ["complete", "1", "--case", str(case_id), "--details", str(details)], env=env
    )
    assert incomplete.exit_code == 2 and incomplete.stderr.startswith("error: person: Field required")

    huge = tmp_path / "huge.eml"
    with huge.open("wb") as handle:  # sparse: refused from its size, never read
        handle.truncate(MAX_EMAIL_BYTES + 1)
    refused = runner.invoke(requests_app, ["import", str(huge)], env=env)
    assert refused.exit_code == 2 and "emails over 20.0 MB are refused" in refused.stderr
    assert "Traceback" not in refused.output


def test_requests_import_refuses_a_nul_revealed_by_decoding_from_the_command_line(
    db: Db, tmp_path: Path
) -> None:
    env = db.cli_env(tmp_path / "data")
    for name, raw, says in (
        ("subject.eml", HOSTILE["NUL in an encoded subject"][0], "Subject: contains a NUL character"),
        ("body.eml", HOSTILE["NUL in a quoted-printable body"][0], "message: contains a NUL character"),
    ):
        path = tmp_path / name
        path.write_bytes(raw)
        refused = runner.invoke(requests_app, ["import", str(path)], env=env)
        assert refused.exit_code == 2, refused.output
        assert refused.stderr.startswith(f"error: {says}")
        assert "Traceback" not in refused.output
    assert written(db) == [0, 0, 0]


@pytest.mark.parametrize("case", ["0", "2147483648", "99999999999", "9" * 25, "-1"])
def test_requests_commands_refuse_a_case_number_no_case_can_have(db: Db, tmp_path: Path, case: str) -> None:
    """Past the 32-bit range PostgreSQL's integer overflowed (a traceback); now, as anywhere out of 1 to
    2147483647, exit 2 naming --case, before anything is read or written."""
    env = db.cli_env(tmp_path / "data")
    email = tmp_path / "request.eml"
    email.write_bytes(request_email())
    details = tmp_path / "details.yaml"
    details.write_text("organisation: x\n")
    for command in (
        ["import", str(email), "--case", case],
        ["complete", "1", "--case", case, "--details", str(details)],
    ):
        refused = runner.invoke(requests_app, command, env=env)
        assert refused.exit_code == 2, refused.output
        assert "Invalid value for '--case'" in refused.output
        assert "Traceback" not in refused.output
    assert written(db) == [0, 0, 0]


@pytest.mark.parametrize(
    ("draft", "allowed"),
    [
        ("0", "greater than or equal to 1"),
        ("-1", "greater than or equal to 1"),
        ("2147483648", "less than or equal to 2147483647"),
        ("99999999999999999999", "less than or equal to 2147483647"),
        ("9" * 25, "less than or equal to 2147483647"),
    ],
)
def test_draft_commands_refuse_a_draft_id_no_draft_can_have(
    db: Db, tmp_path: Path, draft: str, allowed: str
) -> None:
    """Unchecked, a draft id past PostgreSQL's integer range reached the database and overflowed there
    (a traceback; on SQLite past 64 bits); now, as anywhere out of 1 to 2147483647, exit 2 naming the
    draft id and what it may be, before anything is read or written."""
    env = db.cli_env(tmp_path / "data")
    import_raw(db, request_email())
    before = written(db)
    details = tmp_path / "details.yaml"
    details.write_text(json.dumps(DETAILS))
    for command in (
        ["draft", "--", draft],
        ["complete", "--case", "1", "--details", str(details), "--", draft],
        ["discard", "--reason", "Synthetic: a duplicate", "--", draft],
    ):
        refused = runner.invoke(requests_app, command, env=env)
        assert refused.exit_code == 2, refused.output
        said = " ".join(refused.stderr.replace("│", " ").split())  # unwrapped from the error box
        assert f"Invalid value for 'draft_id': Input should be {allowed}" in said, refused.output
        assert "Traceback" not in refused.output
    assert written(db) == before


DETAILS = {
    "organisation": "Northshire Channel Panel (synthetic)",
    "person": "Synthetic Coordinator",
    "role": "Coordinator",
    "recipient_type": "channel_panel",
    "purpose": "channel_information_gathering",
    "items_requested": ["GP details"],
    "proforma": True,
    "secure_channel": True,
    "consent_position_stated": True,
    "reason_given": True,
    "specific": True,
    "legal_powers_cited": ["CTSA2015.s38"],
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"person": "Synthetic \ud800 Coordinator"}, "error: person: is not valid Unicode text"),
        ({"items_requested": ["GP details", "Synthetic \x00"]}, "error: items_requested.1: contains a NUL"),
    ],
    ids=["lone-surrogate", "nul"],
)
def test_completing_from_a_details_file_refuses_text_that_cannot_be_stored(
    db: Db, tmp_path: Path, change: dict[str, object], says: str
) -> None:
    """A lone surrogate was a traceback (exit 1) when the request's audit digest was made, and NUL a
    database error on PostgreSQL; now exit 2 naming the field, and the draft stays a draft."""
    env = db.cli_env(tmp_path / "data")
    case_id = open_case(db)
    draft = import_raw(db, request_email())
    before = written(db)
    details = tmp_path / "details.json"
    details.write_text(json.dumps({**DETAILS, **change}))  # escapes as "\ud800", "\u0000"

    refused = runner.invoke(
        requests_app, ["complete", str(draft.id), "--case", str(case_id), "--details", str(details)], env=env
    )

    assert refused.exit_code == 2, (refused.output, refused.exception)
    assert refused.stderr.startswith(says), refused.stderr
    assert "Traceback" not in refused.output
    assert written(db) == before
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PartnerRequestRow)) == 0
        kept = uow.session.get(RequestDraftRow, draft.id)
        assert kept is not None and kept.status == "draft"


def test_a_sender_in_an_internationalised_domain_is_kept_in_the_xn_form_to_write_back_to() -> None:
    # Mail carries the domain as xn--; it used to be kept spelled in Unicode again (email-validator's
    # normalised form), which the outgoing check refuses, so no reply could go back to the sender.
    raw = request_email(**{"From": "Synthetic Police <prevent@xn--trst-0ra.example.nhs.uk>"})
    assert parse_request_email(raw).sender_address == "prevent@xn--trst-0ra.example.nhs.uk"
