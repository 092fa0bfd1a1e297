"""From a case to a real SMTP server: queued in one transaction with the disclosure, delivered over
STARTTLS with a login, retried while the server is down, and never lost or doubled."""

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from prevent_ig.adapters.mail.errors import PermanentDeliveryError
from prevent_ig.adapters.mail.settings import MailSettingsError
from prevent_ig.adapters.mail.smtp import SmtpTransport
from prevent_ig.adapters.records.database import DatabaseBusyError
from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    DisclosureRow,
    DocumentRow,
    NotificationRow,
    OutboxMessageRow,
    PartnerRequestRow,
)
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.config import AccreditedDomain, EngineConfig
from prevent_ig.domain.documents.messages import ASCII_ADDRESSES_ONLY
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus
from prevent_ig.services import audit as audit_service
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.consents import NewConsent, record_consent, withdraw_consent
from prevent_ig.services.delivery import Delivery, Result, deliver_due, deliver_next, run_worker
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.documents import save_referral_answers
from prevent_ig.services.errors import InvalidFieldError, RefusedError
from prevent_ig.services.outbox import (
    QueuedMessage,
    outbox_overview,
    requeue_message,
    send_disclosure,
    send_referral,
)
from tests.builders import input_data
from tests.documents.builders import (
    ANSWERS,
    CONTENTS,
    IDENTITY,
    NOT_SECURE,
    POLICE,
    partner_request,
    pdf_pages,
    referral,
)
from tests.fixtures_db import TODAY, Db
from tests.mail.smtp_server import FROM_ADDRESS, USERNAME, SmtpServer
from tests.mail.worker_clock import POLICY, RENDERER, Clock
from tests.records.helpers import open_case

ITEMS = [ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()]


def queue_referral(db: Db) -> QueuedMessage:
    made = referral(db)
    with db.uow() as uow:
        return send_referral(
            uow=uow,
            actor="lead.a",
            case_id=made.case_id,
            to=POLICE,
            on=TODAY,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=db.config,
        )


def deliver(
    db: Db,
    smtp: SmtpServer,
    clock: Clock | None = None,
    *,
    config: EngineConfig | None = None,
    **settings: object,
) -> list[Delivery]:
    return deliver_due(
        new_uow=db.uow,
        transport=SmtpTransport(smtp.settings(**settings)),
        policy=POLICY,
        worker="test-worker",
        config=config or db.config,
        clock=clock or Clock(),
    )


def outbox_rows(db: Db) -> list[OutboxMessageRow]:
    with db.uow() as uow:
        rows = list(uow.session.scalars(select(OutboxMessageRow).order_by(OutboxMessageRow.id)))
        uow.session.expunge_all()  # readable after the unit of work ends (its rollback expires attributes)
        return rows


def count(db: Db, table: type) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def events(db: Db) -> list[str]:
    with db.uow() as uow:
        return list(uow.session.scalars(select(AuditEventRow.event).order_by(AuditEventRow.seq)))


def test_a_referral_goes_from_the_case_to_the_smtp_server(db: Db, smtp: SmtpServer) -> None:
    queued = queue_referral(db)
    assert (
        queued.subject == f"OFFICIAL-SENSITIVE: Prevent referral ({queued.document_reference})"
    )  # pnn: no tag
    with db.uow() as uow:  # queued with its disclosure record, in the same transaction
        disclosure = uow.session.get(DisclosureRow, queued.disclosure_id)
        assert disclosure is not None and disclosure.method == "secure_email"
        assert disclosure.recipient_email == POLICE and disclosure.marking == "OFFICIAL-SENSITIVE"
        assert [i["id"] for i in disclosure.items] == ["identity", "contact", "mental-health"]
    assert smtp.handler.received == []  # nothing leaves until the worker runs

    assert [d.result for d in deliver(db, smtp)] == [Result.SENT]

    [received] = smtp.handler.received
    assert received.tls and received.authenticated and smtp.logins == [USERNAME.encode()]
    assert received.mail_from == FROM_ADDRESS and received.rcpt_tos == [POLICE]
    message = received.message
    assert message["Subject"] == queued.subject
    assert message["To"] == POLICE and message["From"] == FROM_ADDRESS
    assert message["Message-ID"] == queued.message_id
    assert message["Date"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "OFFICIAL-SENSITIVE" in body.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{queued.document_reference}.pdf"
    pages = pdf_pages(attachment.get_content())
    assert all(page.count("OFFICIAL-SENSITIVE") == 2 for page in pages)
    assert "Alex Testperson" in " ".join(pages) and "chess" not in " ".join(pages)

    [row] = outbox_rows(db)
    assert (row.status, row.attempts, row.worker) == ("sent", 1, "test-worker")
    assert row.sent_at is not None and row.claim_token is None
    assert "case:disclosure:send" in events(db) and events(db)[-1] == "mail:message:deliver"
    with db.uow() as uow:
        assert audit_service.verify(uow=uow).ok
    assert deliver(db, smtp) == []  # nothing is sent twice


def test_a_disclosure_goes_to_the_smtp_server_tagged_secure_and_answers_the_request(
    db: Db, smtp: SmtpServer
) -> None:
    made = partner_request(db, email=NOT_SECURE)
    with db.uow() as uow:
        queued = send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=made.assessment_id,
            to=NOT_SECURE,
            items=ITEMS,
            on=TODAY,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=db.config,
        )
    assert queued.subject.startswith("OFFICIAL-SENSITIVE") and queued.subject.endswith("[secure]")
    with db.uow() as uow:
        request = uow.session.get(PartnerRequestRow, made.request_id)
        assert request is not None and request.status == "answered"
        disclosure = uow.session.get(DisclosureRow, queued.disclosure_id)
        assert disclosure is not None
        assert {i["id"]: i["content"] for i in disclosure.items} == CONTENTS

    assert [d.result for d in deliver(db, smtp)] == [Result.SENT]
    [received] = smtp.handler.received
    assert received.message["Subject"] == queued.subject
    assert received.rcpt_tos == [NOT_SECURE]
    [attachment] = list(received.message.iter_attachments())
    text = " ".join(" ".join(pdf_pages(attachment.get_content())).split())
    assert CONTENTS["identity"] in text and CONTENTS["mental-health"] in text
    assert "chess" not in text


def test_nothing_is_queued_for_another_recipient_or_without_a_decision_to_share(db: Db) -> None:
    made = partner_request(db)

    def send(to: str, assessment_id: int) -> None:
        with db.uow() as uow:
            send_disclosure(
                uow=uow,
                actor="lead.a",
                assessment_id=assessment_id,
                to=to,
                items=ITEMS,
                on=TODAY,
                renderer=RENDERER,
                from_address=FROM_ADDRESS,
                config=db.config,
            )

    with pytest.raises(RefusedError, match="to: is not the recipient assessed"):
        send("channel@southshire.gov.uk", made.assessment_id)
    with pytest.raises(InvalidFieldError) as malformed:
        send("channel at northshire", made.assessment_id)
    assert malformed.value.field == "to"
    clarify = partner_request(db, complete=False)
    with pytest.raises(RefusedError, match="does not authorise sharing"):
        send("channel@northshire.gov.uk", clarify.assessment_id)
    assert (count(db, OutboxMessageRow), count(db, DisclosureRow), count(db, DocumentRow)) == (0, 0, 0)


XN_RECIPIENT = "prevent@xn--trst-0ra.example.nhs.uk"
"""A recipient in an internationalised domain (türst.example.nhs.uk), in its ASCII xn-- form."""


def test_a_recipient_in_an_internationalised_domain_goes_in_the_xn_form_the_refusal_asks_for(
    db: Db, smtp: SmtpServer
) -> None:
    """The xn-- form was refused as outside ASCII, because the normalised address spells the domain in
    Unicode again. It is what is stored and what the SMTP envelope and headers carry; the domain, in the
    accredited-domain register under its Unicode spelling, is still judged secure, on a retry and by
    the worker before each attempt too."""
    accredited = replace(
        db.config, accredited_domains=(AccreditedDomain(domain="Türst.Example.NHS.uk", expires=TODAY),)
    )
    made = referral(db, recipient={"email": XN_RECIPIENT})

    def send(to: str) -> QueuedMessage:
        with db.uow() as uow:
            return send_referral(
                uow=uow,
                actor="lead.a",
                case_id=made.case_id,
                to=to,
                on=TODAY,
                renderer=RENDERER,
                from_address=FROM_ADDRESS,
                config=accredited,
            )

    with pytest.raises(InvalidFieldError) as refused:  # the Unicode spelling: no relay carries it
        send("prevent@türst.example.nhs.uk")
    assert (refused.value.field, refused.value.message) == ("to", ASCII_ADDRESSES_ONLY)
    assert count(db, OutboxMessageRow) == 0

    queued = send(XN_RECIPIENT)
    assert queued.to == XN_RECIPIENT and queued.secure_domain and "[secure]" not in queued.subject
    [row] = outbox_rows(db)
    assert row.envelope_to == XN_RECIPIENT

    smtp.handler.refuse[XN_RECIPIENT] = "550 5.2.2 Synthetic: mailbox full"
    assert [d.result for d in deliver(db, smtp, config=accredited)] == [Result.FAILED]
    del smtp.handler.refuse[XN_RECIPIENT]
    with db.uow() as uow:  # judged secure again from the stored address: it may go as it is
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=accredited)
    assert [d.result for d in deliver(db, smtp, config=accredited)] == [Result.SENT]  # and by the worker
    [received] = smtp.handler.received
    assert received.rcpt_tos == [XN_RECIPIENT] and received.message["To"] == XN_RECIPIENT
    assert received.message["Message-ID"] == queued.message_id


def test_while_the_server_is_down_messages_wait_then_all_go_once(db: Db, smtp: SmtpServer) -> None:
    queued = [queue_referral(db) for _ in range(3)]
    smtp.stop()
    clock = Clock()
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.DEFERRED] * 3
    rows = outbox_rows(db)
    assert {(r.status, r.attempts) for r in rows} == {("queued", 1)}
    assert all(r.next_attempt_at == datetime(2026, 11, 26, 10, 0, 30) for r in rows)  # first backoff: 30 s
    assert all(r.last_error and r.last_error.startswith("cannot reach 127.0.0.1") for r in rows)

    clock.moment += timedelta(seconds=10)
    assert deliver(db, smtp, clock) == []  # not due yet: the worker does not hammer a server that is down
    clock.moment += timedelta(seconds=30)
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.DEFERRED] * 3  # still down: wait longer
    assert {(r.attempts, r.next_attempt_at) for r in outbox_rows(db)} == {
        (2, datetime(2026, 11, 26, 10, 1, 40))
    }

    smtp.start()
    clock.moment += timedelta(minutes=5)
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.SENT] * 3
    assert sorted(smtp.message_ids()) == sorted(q.message_id for q in queued)  # none lost, none doubled
    assert {(r.status, r.attempts) for r in outbox_rows(db)} == {("sent", 3)}
    assert deliver(db, smtp, clock) == []


def test_a_recipient_refused_for_good_is_shown_as_failed_and_can_be_tried_again(
    db: Db, smtp: SmtpServer
) -> None:
    queued = queue_referral(db)
    smtp.handler.refuse[POLICE] = "550 5.1.1 Synthetic: mailbox unavailable"
    assert [d.result for d in deliver(db, smtp)] == [Result.FAILED]
    with db.uow() as uow:
        overview = outbox_overview(uow=uow, actor="lead.a")
    assert overview.counts["failed"] == 1 and overview.counts["sent"] == 0
    [failed] = overview.failed
    assert failed.id == queued.outbox_id and failed.case_id is not None
    assert failed.last_error is not None and "550" in failed.last_error
    assert "mail:message:fail" in events(db)
    with db.uow() as uow:  # and on the lead's dashboard
        [note] = uow.session.scalars(
            select(NotificationRow).where(NotificationRow.message.startswith("Secure email"))
        ).all()
        assert (note.recipient_role, note.case_id) == ("prevent_lead", failed.case_id)
        assert note.message == (
            f"Secure email {queued.outbox_id} (case {failed.case_id}) was not delivered: recipient refused. "
            "Check the address or the mail settings, then try it again, or send it as a new message if it "
            "must be tagged or sent from another address now."
        )
    assert deliver(db, smtp) == []  # a failed message waits for a person

    del smtp.handler.refuse[POLICE]
    with db.uow() as uow:
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=db.config)
    with db.uow() as uow:  # what the requeue changed (status, attempts, when) is digested
        requeued = uow.session.scalars(
            select(AuditEventRow.digest).where(AuditEventRow.event == "mail:message:requeue")
        ).one()
    assert requeued is not None
    with db.uow() as uow, pytest.raises(RefusedError, match="only a failed message"):
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=db.config)
    assert [d.result for d in deliver(db, smtp)] == [Result.SENT]
    assert smtp.message_ids() == [queued.message_id]  # the same message, not a new one


def test_repeated_temporary_failures_end_in_failed_after_the_last_attempt(db: Db, smtp: SmtpServer) -> None:
    queue_referral(db)
    smtp.stop()
    clock = Clock()
    results = []
    for _ in range(POLICY.max_attempts):
        results += [d.result for d in deliver(db, smtp, clock)]
        clock.moment += POLICY.cap
    assert results == [Result.DEFERRED] * (POLICY.max_attempts - 1) + [Result.FAILED]
    [row] = outbox_rows(db)
    assert row.status == "failed" and row.last_error and row.last_error.startswith("gave up after 4 attempts")


def test_an_address_a_relay_cannot_carry_fails_for_good_without_stopping_the_worker(smtp: SmtpServer) -> None:
    # A message queued before addresses outside ASCII were refused: sendmail cannot encode it.
    transport = SmtpTransport(smtp.settings())
    with pytest.raises(PermanentDeliveryError, match="not plain ASCII"):
        transport.deliver(
            envelope_from="prevent.lead@demo-trust.nhs.uk",
            envelope_to="josé@northshire.pnn.police.uk",
            raw=b"Subject: x\r\n\r\nsynthetic\r\n",
        )
    assert smtp.message_ids() == []


def test_a_server_without_starttls_gets_nothing_not_even_the_password(
    db: Db, certificate: tuple[Path, Path]
) -> None:
    plain = SmtpServer(*certificate, starttls=False)
    plain.start()
    try:
        queue_referral(db)
        assert [d.result for d in deliver(db, plain)] == [Result.DEFERRED]
        assert plain.handler.received == [] and plain.logins == []
        [row] = outbox_rows(db)
        assert row.last_error and "did not offer STARTTLS" in row.last_error
    finally:
        plain.stop()


def test_wrong_credentials_or_an_untrusted_certificate_keep_the_message_queued(
    db: Db, smtp: SmtpServer
) -> None:
    queue_referral(db)
    assert [d.result for d in deliver(db, smtp, password="wrong-synthetic-password")] == [Result.DEFERRED]
    [row] = outbox_rows(db)
    assert row.status == "queued" and row.last_error and "authentication failed (535)" in row.last_error
    clock = Clock()
    clock.moment += timedelta(hours=1)
    assert [d.result for d in deliver(db, smtp, clock, ca_file=None)] == [Result.DEFERRED]  # system CAs only
    [row] = outbox_rows(db)
    assert row.last_error and row.last_error.startswith("TLS failed")
    assert smtp.handler.received == []


def test_the_worker_loop_waits_out_a_database_outage_and_stops_when_asked(db: Db, smtp: SmtpServer) -> None:
    queued = queue_referral(db)
    outages = [DatabaseBusyError("another writer held the database too long")] * 2
    stop = threading.Event()

    def new_uow() -> UnitOfWork:
        if outages:
            raise outages.pop()
        return db.uow()

    class StopAfterOne(SmtpTransport):
        def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
            super().deliver(envelope_from=envelope_from, envelope_to=envelope_to, raw=raw)
            stop.set()

    worker = threading.Thread(
        target=run_worker,
        kwargs={
            "new_uow": new_uow,
            "transport": StopAfterOne(smtp.settings()),
            "policy": POLICY,
            "poll_seconds": 0.01,
            "stop": stop,
            "worker": "loop",
            "config": db.config,
            "clock": Clock(),
        },
    )
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert outages == [] and smtp.message_ids() == [queued.message_id]
    [row] = outbox_rows(db)
    assert (row.status, row.worker) == ("sent", "loop")


def test_a_sent_message_is_recorded_once_the_database_lets_go_and_is_not_sent_again(
    db: Db, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock held past the busy timeout just after the message went: the worker records the
    delivery when the lock is released (well within the lease) rather than leave it to be resent."""
    queued = queue_referral(db)
    impatient = db.impatient(0.2)
    locked = threading.Event()

    def hold_the_lock() -> None:
        with db.write_lock_held():
            locked.set()
            time.sleep(1.0)  # five busy timeouts

    holder = threading.Thread(target=hold_the_lock)

    class LockAfterSending(SmtpTransport):
        def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
            super().deliver(envelope_from=envelope_from, envelope_to=envelope_to, raw=raw)
            holder.start()
            locked.wait(5)

    try:
        done = deliver_due(
            new_uow=impatient.uow,
            transport=LockAfterSending(smtp.settings()),
            policy=POLICY,
            worker="patient",
            config=db.config,
            clock=Clock(),
        )
    finally:
        holder.join()
        impatient.close()
    assert [d.result for d in done] == [Result.SENT]
    assert "database unavailable" in caplog.text  # it did meet the lock, and waited it out
    assert smtp.message_ids() == [queued.message_id]
    [row] = outbox_rows(db)
    assert (row.status, row.attempts) == ("sent", 1)
    assert deliver(db, smtp, Clock()) == []
    with db.uow().reading(streaming=True) as uow:
        assert audit_service.verify(uow=uow).ok


def queued_then(db: Db, change: Callable[[int, int], None]) -> QueuedMessage:
    """A referral queued while the mail server is away, then ``change(case_id, assessment_id)``."""
    queued = queue_referral(db)
    with db.uow() as uow:
        row = uow.session.get(OutboxMessageRow, queued.outbox_id)
        document = uow.session.get(DocumentRow, row.document_id)  # type: ignore[union-attr]
        case_id, assessment_id = document.case_id, document.assessment_id  # type: ignore[union-attr]
    change(case_id, assessment_id)  # type: ignore[arg-type]
    return queued


def reassessed_against(db: Db) -> Callable[[int, int], None]:
    def change(case_id: int, _assessment_id: int) -> None:
        with db.uow() as uow:
            record_assessment(
                uow=uow,
                actor="lead.a",
                case_id=case_id,
                assessment_json=json.dumps(input_data()),
                config=db.config,
                today=TODAY,
                lead_decision=LeadDecision.DEPART,
                lead_reason="Synthetic: the police already hold this",
            )

    return change


def consent_withdrawn(db: Db) -> Callable[[int, int], None]:
    def change(case_id: int, _assessment_id: int) -> None:
        consent = NewConsent(
            scope="sharing",
            status=ConsentStatus.GIVEN,
            has_capacity=True,
            sought_by="lead.a",
            sought_on=TODAY,
            given_by=ConsentGiver.SUBJECT,
        )
        with db.uow() as uow:
            consent_id = record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=consent)
        with db.uow() as uow:
            withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY)

    return change


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (reassessed_against, r"assessment (\d+) was superseded by assessment \d+"),
        (
            consent_withdrawn,
            rf"assessment (\d+) rested on consent to sharing, but the case's consent record now says consent "
            rf"to sharing was withdrawn on {TODAY}",
        ),
    ],
)
def test_a_queued_message_whose_decision_no_longer_stands_is_withheld_and_cannot_be_retried(
    db: Db, smtp: SmtpServer, change: Callable[[Db], Callable[[int, int], None]], reason: str
) -> None:
    # Queued while the mail server was away; by the time it could go, the lead had recorded a newer
    # decision on the same question, or the person had withdrawn the consent the decision rested on.
    queued = queued_then(db, change(db))
    assert [d.result for d in deliver(db, smtp)] == [Result.FAILED]
    assert smtp.message_ids() == []  # nothing left the building
    [row] = outbox_rows(db)
    assert row.status == "failed" and row.last_error is not None
    assert re.match(f"withheld: {reason}", row.last_error), row.last_error
    assert "mail:message:withhold" in events(db)
    with db.uow() as uow:
        notes = uow.session.scalars(
            select(NotificationRow.message).where(NotificationRow.message.startswith("Secure email"))
        ).all()
    assert notes == [
        f"Secure email {queued.outbox_id} (case {row.case_id}) was not sent: "
        + row.last_error.removeprefix("withheld: ")
        + "."
    ]
    with db.uow() as uow, pytest.raises(RefusedError, match=f"cannot be sent again: {reason}"):
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=db.config)


def test_a_failed_message_that_may_no_longer_go_cannot_be_retried(db: Db, smtp: SmtpServer) -> None:
    # Failed for a reason a person fixes (a full mailbox), then the decision was replaced: "try again"
    # must not send what the newer decision stopped.
    smtp.handler.refuse[POLICE] = "550 5.2.2 Synthetic: mailbox full"
    queued = queue_referral(db)
    assert [d.result for d in deliver(db, smtp)] == [Result.FAILED]
    [row] = outbox_rows(db)
    assert row.case_id is not None
    reassessed_against(db)(row.case_id, 0)
    del smtp.handler.refuse[POLICE]
    with (
        db.uow() as uow,
        pytest.raises(RefusedError, match=r"cannot be sent again: assessment \d+ was superseded"),
    ):
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=db.config)
    assert deliver(db, smtp) == [] and smtp.message_ids() == []


def test_whether_an_address_is_secure_is_judged_the_day_the_message_is_queued(
    db: Db, smtp: SmtpServer
) -> None:
    # A referral form dated in June, when the council's domain was accredited, is sent in November after
    # the accreditation lapsed: it must carry [secure] so NHSmail encrypts it.
    lapsed = replace(
        db.config,
        accredited_domains=(AccreditedDomain(domain="northshire-council.org.uk", expires=date(2026, 6, 30)),),
    )
    june = date(2026, 6, 1)
    case_id = open_case(db)
    with db.uow() as uow:  # decided in June
        record_assessment(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            assessment_json=json.dumps(input_data(items=[IDENTITY], recipient={"email": NOT_SECURE})),
            config=lapsed,
            today=june,
            lead_decision=LeadDecision.FOLLOW,
        )
    with db.uow() as uow:
        save_referral_answers(uow=uow, actor="lead.a", case_id=case_id, answers=ANSWERS)
    with db.uow() as uow:  # the form dated the day of the decision, queued today
        queued = send_referral(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            to=NOT_SECURE,
            on=june,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=lapsed,
        )
    assert [d.result for d in deliver(db, smtp, config=lapsed)] == [Result.SENT]
    [row] = outbox_rows(db)
    assert row.message_id == queued.message_id and "[secure]" in row.subject


@pytest.mark.parametrize(
    ("setting", "overrides"),
    [
        ("PREVENT_IG_SMTP_PASSWORD", {"password": SecretStr("synthetic-£-password")}),
        ("PREVENT_IG_SMTP_USERNAME", {"username": "prevent.léad@example-trust.nhs.uk"}),
    ],
)
def test_credentials_smtp_cannot_send_are_refused_at_start_naming_the_setting(
    smtp: SmtpServer, setting: str, overrides: dict[str, object]
) -> None:
    with pytest.raises(MailSettingsError) as refused:
        SmtpTransport(smtp.settings(**overrides))
    assert str(refused.value).startswith(f"{setting}: must be written in ASCII")
    assert "synthetic-£-password" not in str(refused.value)  # never the password itself


def test_credentials_changed_under_a_running_transport_are_a_temporary_settings_failure(
    db: Db, smtp: SmtpServer
) -> None:
    """smtplib encodes the login as ASCII: a £ in the password was a permanent failure blaming the
    address, so every message failed for good although only the setting was wrong."""
    queue_referral(db)
    settings = smtp.settings()
    transport = SmtpTransport(settings)
    settings.password = SecretStr("synthetic-£-password")
    done = deliver_due(
        new_uow=db.uow, transport=transport, policy=POLICY, worker="w", config=db.config, clock=Clock()
    )
    assert [d.result for d in done] == [Result.DEFERRED]
    [row] = outbox_rows(db)
    assert row.status == "queued" and row.last_error is not None
    assert "PREVENT_IG_SMTP_PASSWORD must be plain ASCII" in row.last_error
    assert "address" not in row.last_error
    assert smtp.handler.received == []


def test_a_server_asking_for_a_login_we_did_not_give_keeps_the_message_until_the_setting_is_fixed(
    db: Db, smtp: SmtpServer
) -> None:
    queued = queue_referral(db)
    clock = Clock()
    # No username: the worker skips AUTH, and the server answers MAIL FROM with 530 5.7.0.
    assert [d.result for d in deliver(db, smtp, clock, username=None, password=None)] == [Result.DEFERRED]
    [row] = outbox_rows(db)
    assert row.status == "queued" and row.last_error is not None
    assert row.last_error.startswith("the server needs a login: set PREVENT_IG_SMTP_USERNAME and")
    assert "530" in row.last_error and smtp.handler.received == []
    clock.moment += timedelta(hours=1)
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.SENT]  # goes by itself once set
    assert smtp.message_ids() == [queued.message_id]


@pytest.mark.parametrize(
    ("reply", "result"),
    [
        ("550 5.7.57 Synthetic: client not authenticated to send mail", Result.DEFERRED),
        ("550 5.7.0 Synthetic: authentication required", Result.DEFERRED),
        ("550 5.7.0 Synthetic: message refused as spam", Result.FAILED),  # 5.7.0 alone stays permanent
    ],
)
def test_a_refusal_for_want_of_a_login_is_temporary_and_other_security_refusals_permanent(
    db: Db, smtp: SmtpServer, reply: str, result: Result
) -> None:
    queue_referral(db)
    smtp.handler.refuse[POLICE] = reply
    assert [d.result for d in deliver(db, smtp)] == [result]
    [row] = outbox_rows(db)
    assert row.last_error is not None
    assert ("the server needs a login" in row.last_error) is (result is Result.DEFERRED)


def test_a_host_setting_that_cannot_be_looked_up_defers_the_message_naming_it(
    db: Db, smtp: SmtpServer
) -> None:
    queue_referral(db)
    # smtplib raised UnicodeError (a ValueError) for the empty label, and the worker stopped.
    assert [d.result for d in deliver(db, smtp, host="smtp..example.nhs.uk")] == [Result.DEFERRED]
    [row] = outbox_rows(db)
    assert (row.status, row.attempts, row.claim_token) == ("queued", 1, None)
    assert row.last_error == (
        "PREVENT_IG_SMTP_HOST cannot be used as a server name (UnicodeError); correct the setting"
    )


class UnforeseenError(RuntimeError):
    pass


class Unforeseen:
    """A transport failing in a way no one planned for, its text carrying an address."""

    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        raise UnforeseenError(f"synthetic failure sending to {envelope_to}")


def test_an_unforeseen_transport_error_is_retried_then_failed_and_never_stops_the_worker(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    queued = queue_referral(db)
    clock = Clock()
    results = []
    for _ in range(POLICY.max_attempts):
        done = deliver_due(
            new_uow=db.uow, transport=Unforeseen(), policy=POLICY, worker="w", config=db.config, clock=clock
        )
        results += [d.result for d in done]
        clock.moment += POLICY.cap
    assert results == [Result.DEFERRED] * (POLICY.max_attempts - 1) + [Result.FAILED]
    [row] = outbox_rows(db)
    assert (row.status, row.attempts) == ("failed", POLICY.max_attempts)
    assert row.last_error == "gave up after 4 attempts; last: unexpected UnforeseenError while sending"
    assert events(db)[-2:] == ["mail:message:fail", "case:disclosure:undeliver"]  # the form never went
    with db.uow() as uow:  # the lead is told, as for any message that did not go
        assert uow.session.scalars(
            select(NotificationRow.case_id).where(NotificationRow.message.startswith("Secure email"))
        ).all() == [row.case_id]
    assert f"message {queued.outbox_id} deferred" in caplog.text and "UnforeseenError" in caplog.text
    assert POLICE not in caplog.text  # the type and the id are logged, never the error's text


class WorkerKilled(BaseException):
    """Stands for the worker's process dying mid-send: nothing in the worker catches it."""


class KilledMidSend:
    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        raise WorkerKilled


def test_a_message_whose_last_attempt_was_cut_off_is_failed_not_sent_again(db: Db, smtp: SmtpServer) -> None:
    """Each restart after a crash re-claimed the message once its lease ran out, attempts climbing
    past max_attempts with no failure recorded and no one told."""
    queued = queue_referral(db)
    clock = Clock()
    for _ in range(POLICY.max_attempts):
        with pytest.raises(WorkerKilled):
            deliver_next(
                new_uow=db.uow,
                transport=KilledMidSend(),
                policy=POLICY,
                worker="w",
                config=db.config,
                clock=clock,
            )
        clock.moment += POLICY.lease + timedelta(seconds=1)
    [row] = outbox_rows(db)
    assert (row.status, row.attempts) == ("sending", POLICY.max_attempts)

    transport = SmtpTransport(smtp.settings())
    delivery = deliver_next(
        new_uow=db.uow, transport=transport, policy=POLICY, worker="w", config=db.config, clock=clock
    )
    assert delivery == Delivery(
        outbox_id=queued.outbox_id, result=Result.FAILED, attempts=POLICY.max_attempts
    )
    assert smtp.handler.received == []
    [row] = outbox_rows(db)
    assert (row.status, row.attempts, row.claim_token) == ("failed", POLICY.max_attempts, None)
    assert row.last_error == (
        "gave up after 4 attempts; last: attempt 4 was cut off (its worker stopped before it finished)"
    )
    assert events(db)[-2:] == ["mail:message:fail", "case:disclosure:undeliver"]  # the form never went
    with db.uow() as uow:
        assert uow.session.scalars(
            select(NotificationRow.case_id).where(NotificationRow.message.startswith("Secure email"))
        ).all() == [row.case_id]
    again = deliver_next(
        new_uow=db.uow, transport=transport, policy=POLICY, worker="w", config=db.config, clock=clock
    )
    assert again is None


def test_a_retry_after_the_recipients_accreditation_lapsed_is_refused(db: Db, smtp: SmtpServer) -> None:
    # Queued without [secure] to a domain accredited that day; it failed, and by the time someone
    # tried again the accreditation had lapsed: the unchanged message would go unencrypted.
    until_today = replace(
        db.config, accredited_domains=(AccreditedDomain(domain="northshire-council.org.uk", expires=TODAY),)
    )
    made = referral(db, recipient={"email": NOT_SECURE})
    with db.uow() as uow:
        queued = send_referral(
            uow=uow,
            actor="lead.a",
            case_id=made.case_id,
            to=NOT_SECURE,
            on=TODAY,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=until_today,
        )
    smtp.handler.refuse[NOT_SECURE] = "550 5.2.2 Synthetic: mailbox full"
    assert [d.result for d in deliver(db, smtp, config=until_today)] == [Result.FAILED]
    [row] = outbox_rows(db)
    assert "[secure]" not in row.subject and row.last_error is not None
    assert row.last_error.startswith("recipient refused")  # refused by its server, not withheld
    with db.uow() as uow:  # the same day: still accredited, so it may go as it is
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=until_today)
    assert [d.result for d in deliver(db, smtp, config=until_today)] == [Result.FAILED]
    db.clock.move_to(TODAY + timedelta(days=7))
    del smtp.handler.refuse[NOT_SECURE]
    with db.uow() as uow, pytest.raises(RefusedError, match=r"no longer accredited as secure.*\[secure\]"):
        requeue_message(uow=uow, actor="lead.a", outbox_id=queued.outbox_id, config=until_today)
    assert smtp.message_ids() == []
