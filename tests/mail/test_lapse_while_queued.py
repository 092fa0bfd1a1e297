"""An accreditation that lapses while a message waits: the worker judges [secure] on the day it tries.

A message queued without [secure] because its recipient's domain was accredited that day cannot gain the
tag later (its bytes are fixed). If the mail server defers it and the accreditation lapses, or the domain
is taken off the register, before the next attempt, sending it unchanged would let NHSmail send it
unencrypted. ``mail retry`` already refuses that; the worker's own retries must too. Withheld, it is
failed for good as any withheld message is (its disclosure undelivered, the request it answered open
again), with an error naming the way out, which then sends it tagged. Through the real SMTP server, on
SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select

from prevent_ig.adapters.mail.smtp import SmtpTransport
from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    DisclosureRow,
    NotificationRow,
    OutboxMessageRow,
    PartnerRequestRow,
)
from prevent_ig.domain.config import AccreditedDomain, EngineConfig
from prevent_ig.services.delivery import Delivery, Result, deliver_due
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.outbox import QueuedMessage, resend_message, send_disclosure, send_referral
from prevent_ig.services.registers import NewDomain, add_domain, remove_domain, with_registered_domains
from tests.documents.builders import CONTENTS, NOT_SECURE, partner_request, referral
from tests.fixtures_db import TODAY, Db
from tests.mail.smtp_server import FROM_ADDRESS, SmtpServer
from tests.mail.worker_clock import POLICY, RENDERER, Clock, move_both_clocks

DOMAIN = "northshire-council.org.uk"
"""NOT_SECURE's domain: secure only while accredited to DCB1596."""
BUSY = "451 4.3.0 Synthetic: try again later"
NEXT_DAY = TODAY + timedelta(days=1)


def accredited_until(db: Db, day: date) -> EngineConfig:
    return replace(db.config, accredited_domains=(AccreditedDomain(domain=DOMAIN, expires=day),))


def deliver(db: Db, smtp: SmtpServer, clock: Clock, config: EngineConfig) -> list[Result]:
    done: list[Delivery] = deliver_due(
        new_uow=db.uow,
        transport=SmtpTransport(smtp.settings()),
        policy=POLICY,
        worker="test-worker",
        config=config,
        clock=clock,
    )
    return [d.result for d in done]


def deferred_once(db: Db, smtp: SmtpServer, clock: Clock, config: EngineConfig) -> None:
    """The recipient's server is busy at the first attempt: the message waits for the next."""
    smtp.handler.refuse[NOT_SECURE] = BUSY
    assert deliver(db, smtp, clock, config) == [Result.DEFERRED]
    del smtp.handler.refuse[NOT_SECURE]
    assert smtp.handler.received == []


def register(db: Db, expires_on: date) -> int:
    with db.uow() as uow:
        return add_domain(
            uow=uow,
            actor="ig.officer",
            domain=NewDomain(
                domain=DOMAIN, organisation="Northshire Council (synthetic)", expires_on=expires_on
            ),
            on=TODAY,
        )


def queue_referral(db: Db, config: EngineConfig | None = None) -> QueuedMessage:
    """A referral to NOT_SECURE, judged as the web and the CLI judge it: by ``config`` with the
    register's domains added."""
    made = referral(db, recipient={"email": NOT_SECURE})
    with db.uow() as uow:
        return send_referral(
            uow=uow,
            actor="lead.a",
            case_id=made.case_id,
            to=NOT_SECURE,
            on=TODAY,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=with_registered_domains(uow, config or db.config),
        )


def outbox_row(db: Db, outbox_id: int) -> OutboxMessageRow:
    with db.uow() as uow:
        row = uow.session.get(OutboxMessageRow, outbox_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def disclosure_undelivered_on(db: Db, disclosure_id: int) -> date | None:
    with db.uow() as uow:
        row = uow.session.get(DisclosureRow, disclosure_id)
        assert row is not None
        return row.undelivered_on


def request_status(db: Db, request_id: int) -> str:
    with db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None
        return row.status


def events(db: Db) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.event, AuditEventRow.entity).order_by(AuditEventRow.seq)
        )
        return [(r.event, r.entity) for r in rows]


def notifications(db: Db) -> list[str]:
    with db.uow() as uow:
        return list(
            uow.session.scalars(
                select(NotificationRow.message)
                .where(NotificationRow.message.startswith("Secure email"))
                .order_by(NotificationRow.id)
            )
        )


def no_longer_accredited(outbox_id: int) -> str:
    return (
        "its recipient's domain is no longer accredited as secure, and the message was queued without "
        "[secure]; send it as a new message instead, tagged as today requires "
        f"(prevent-ig mail resend {outbox_id}, or 'Send as a new message' on the Secure email page)"
    )


def test_a_pack_queued_untagged_is_withheld_when_the_accreditation_lapses_before_the_next_attempt(
    db: Db, smtp: SmtpServer
) -> None:
    until_today = accredited_until(db, TODAY)
    made = partner_request(db, email=NOT_SECURE)
    with db.uow() as uow:
        queued = send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=made.assessment_id,
            to=NOT_SECURE,
            items=[ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()],
            on=TODAY,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=until_today,
        )
    assert "[secure]" not in queued.subject  # accredited today: no tag needed
    assert request_status(db, made.request_id) == "answered"
    clock = Clock()
    deferred_once(db, smtp, clock, until_today)
    move_both_clocks(db, clock, NEXT_DAY)  # the accreditation ran to TODAY inclusive

    assert deliver(db, smtp, clock, until_today) == [Result.FAILED]

    assert smtp.handler.received == []  # nothing left unencrypted
    row = outbox_row(db, queued.outbox_id)
    reason = no_longer_accredited(queued.outbox_id)
    assert (row.status, row.last_error, row.attempts) == ("failed", f"withheld: {reason}", 2)
    # Failed for good as any withheld message: in the worker's one transaction, the disclosure is marked
    # undelivered and the request it answered opens again, and the leads are told why and what to do.
    assert events(db)[-3:] == [
        ("mail:message:withhold", f"message:{queued.outbox_id}"),
        ("case:disclosure:undeliver", f"disclosure:{queued.disclosure_id}"),
        ("case:request:reopen", f"request:{made.request_id}"),
    ]
    assert disclosure_undelivered_on(db, queued.disclosure_id) == NEXT_DAY
    assert request_status(db, made.request_id) == "open"
    assert notifications(db) == [
        f"Secure email {queued.outbox_id} (case {made.case_id}) was not sent: {reason}. "
        f"Request {made.request_id} is open again: due 2026-11-30."
    ]
    assert deliver(db, smtp, clock, until_today) == []  # failed stays failed

    # The way out the error names: the same document, composed today, so tagged.
    with db.uow() as uow:
        again = resend_message(
            uow=uow, actor="lead.b", outbox_id=queued.outbox_id, config=until_today, from_address=FROM_ADDRESS
        )
    assert again.subject == f"{queued.subject} [secure]"
    assert deliver(db, smtp, clock, until_today) == [Result.SENT]
    [received] = smtp.handler.received
    assert received.message["Subject"] == again.subject and received.rcpt_tos == [NOT_SECURE]
    assert request_status(db, made.request_id) == "answered"


def test_a_domain_taken_off_the_register_while_the_message_waits_withholds_it_the_same_day(
    db: Db, smtp: SmtpServer
) -> None:
    domain_id = register(db, expires_on=TODAY + timedelta(days=365))
    queued = queue_referral(db)
    assert "[secure]" not in queued.subject
    clock = Clock()
    deferred_once(db, smtp, clock, db.config)
    with db.uow() as uow:
        remove_domain(uow=uow, actor="ig.officer", domain_id=domain_id)
    clock.moment += POLICY.cap  # the next attempt, the same day: the worker reads the register as it is now

    assert deliver(db, smtp, clock, db.config) == [Result.FAILED]

    assert smtp.handler.received == []
    row = outbox_row(db, queued.outbox_id)
    assert (row.status, row.last_error) == ("failed", f"withheld: {no_longer_accredited(queued.outbox_id)}")
    assert [e for e, _ in events(db)[-2:]] == ["mail:message:withhold", "case:disclosure:undeliver"]
    assert disclosure_undelivered_on(db, queued.disclosure_id) == TODAY


def test_still_accredited_on_the_day_of_the_next_attempt_it_goes_unchanged(db: Db, smtp: SmtpServer) -> None:
    # Accredited in the register only (the worker's configuration knows nothing of the domain): the
    # worker must read the register to let it go.
    register(db, expires_on=TODAY + timedelta(days=30))
    queued = queue_referral(db)
    assert "[secure]" not in queued.subject
    clock = Clock()
    deferred_once(db, smtp, clock, db.config)
    move_both_clocks(db, clock, NEXT_DAY)

    assert deliver(db, smtp, clock, db.config) == [Result.SENT]

    [received] = smtp.handler.received
    assert received.message["Subject"] == queued.subject and received.message_id == queued.message_id
    row = outbox_row(db, queued.outbox_id)
    assert (row.status, row.last_error) == ("sent", None)


def test_a_message_queued_with_the_tag_goes_whatever_the_accreditation(db: Db, smtp: SmtpServer) -> None:
    # Not accredited when queued, so tagged; the domain accredited and gone again since changes nothing.
    queued = queue_referral(db)
    assert queued.subject.endswith("[secure]")
    clock = Clock()
    deferred_once(db, smtp, clock, db.config)
    domain_id = register(db, expires_on=TODAY + timedelta(days=30))
    with db.uow() as uow:
        remove_domain(uow=uow, actor="ig.officer", domain_id=domain_id)
    move_both_clocks(db, clock, NEXT_DAY)

    assert deliver(db, smtp, clock, accredited_until(db, TODAY)) == [Result.SENT]

    [received] = smtp.handler.received
    assert received.message["Subject"] == queued.subject and received.message_id == queued.message_id
