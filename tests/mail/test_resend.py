"""Sending a failed message again as a new message: the way out when the unchanged message may not go.

A message queued without [secure] to a domain accredited that day, which failed and is tried again after
the accreditation lapsed, may not go as it is (NHSmail would send it unencrypted), and the decision
cannot be disclosed a second time. Sent again as a new message, the same document goes in a message
composed today, tagged, with a new Message-ID, through the real SMTP server, exactly once; the failed
message is marked replaced in the same transaction and can never be tried or sent as well."""

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from prevent_ig.adapters.mail.smtp import SmtpTransport
from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    CaseEventRow,
    DisclosureRow,
    DocumentRow,
    OutboxMessageRow,
    PartnerRequestRow,
)
from prevent_ig.domain.calendar.england_date import ENGLAND
from prevent_ig.domain.config import AccreditedDomain, EngineConfig
from prevent_ig.entrypoints.cli.documents import mail_app
from prevent_ig.services import audit as audit_service
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.delivery import Delivery, Result, deliver_due
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.errors import NotFoundError, RefusedError, ServiceError
from prevent_ig.services.outbox import (
    QueuedMessage,
    requeue_message,
    resend_message,
    send_disclosure,
    send_referral,
)
from tests.builders import input_data
from tests.documents.builders import CHANNEL, CONTENTS, NOT_SECURE, POLICE, Request, partner_request, referral
from tests.fixtures_db import TODAY, Db
from tests.mail.smtp_server import FROM_ADDRESS, SmtpServer
from tests.mail.worker_clock import POLICY, RENDERER, Clock, move_both_clocks

FULL = "550 5.2.2 Synthetic: mailbox full"
LATER = TODAY + timedelta(days=7)
runner = CliRunner()


def accredited_until_today(db: Db) -> EngineConfig:
    """The recipient's organisation accredited to DCB1596 until the day the message is queued."""
    return replace(
        db.config, accredited_domains=(AccreditedDomain(domain="northshire-council.org.uk", expires=TODAY),)
    )


def deliver(db: Db, smtp: SmtpServer, clock: Clock) -> list[Delivery]:
    """The worker, configured as the retries and resends here are (the recipient accredited until today)."""
    return deliver_due(
        new_uow=db.uow,
        transport=SmtpTransport(smtp.settings()),
        policy=POLICY,
        worker="w",
        config=accredited_until_today(db),
        clock=clock,
    )


def queue_untagged_referral(db: Db, config: EngineConfig) -> QueuedMessage:
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
            config=config,
        )


def failed_untagged_referral(db: Db, smtp: SmtpServer, clock: Clock) -> QueuedMessage:
    """Queued untagged while the recipient was accredited, refused for good by its server, and the
    accreditation lapsed by the time the mailbox was back (a week on)."""
    queued = queue_untagged_referral(db, accredited_until_today(db))
    assert "[secure]" not in queued.subject
    smtp.handler.refuse[NOT_SECURE] = FULL
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.FAILED]
    del smtp.handler.refuse[NOT_SECURE]
    move_both_clocks(db, clock, LATER)
    return queued


def resend(db: Db, outbox_id: int, config: EngineConfig | None = None) -> QueuedMessage:
    with db.uow() as uow:
        return resend_message(
            uow=uow,
            actor="lead.b",
            outbox_id=outbox_id,
            config=config or accredited_until_today(db),
            from_address=FROM_ADDRESS,
        )


def retry(db: Db, outbox_id: int) -> None:
    with db.uow() as uow:
        requeue_message(uow=uow, actor="lead.b", outbox_id=outbox_id, config=accredited_until_today(db))


def message(db: Db, outbox_id: int) -> OutboxMessageRow:
    with db.uow() as uow:
        row = uow.session.get(OutboxMessageRow, outbox_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def count(db: Db, table: type) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def events(db: Db) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.event, AuditEventRow.entity).order_by(AuditEventRow.seq)
        )
        return [(r.event, r.entity) for r in rows]


def test_a_retry_refused_for_a_lapsed_accreditation_names_the_way_out_which_sends_once_tagged(
    db: Db, smtp: SmtpServer
) -> None:
    clock = Clock()
    queued = failed_untagged_referral(db, smtp, clock)
    with pytest.raises(RefusedError) as refused:
        retry(db, queued.outbox_id)
    assert str(refused.value) == (
        f"message {queued.outbox_id} cannot be sent again unchanged: its recipient's domain is no longer "
        "accredited as secure, and the message was queued without [secure]; send it as a new message "
        f"instead, tagged as today requires (prevent-ig mail resend {queued.outbox_id}, or 'Send as a new "
        "message' on the Secure email page)"
    )
    documents, disclosures = count(db, DocumentRow), count(db, DisclosureRow)

    again = resend(db, queued.outbox_id)

    assert again.outbox_id != queued.outbox_id and again.message_id != queued.message_id
    assert (again.disclosure_id, again.document_reference) == (
        queued.disclosure_id,
        queued.document_reference,
    )
    assert again.subject == f"{queued.subject} [secure]" and again.to == NOT_SECURE
    assert (count(db, DocumentRow), count(db, DisclosureRow)) == (documents, disclosures)  # nothing new
    assert message(db, queued.outbox_id).status == "replaced"
    assert events(db)[-3:] == [
        ("mail:message:replace", f"message:{queued.outbox_id}"),
        ("mail:message:resend", f"message:{again.outbox_id}"),
        ("case:disclosure:update", f"disclosure:{queued.disclosure_id}"),
    ]
    with db.uow() as uow:
        disclosure = uow.session.get(DisclosureRow, queued.disclosure_id)
        assert disclosure is not None and disclosure.undelivered_on is None
        [summary] = uow.session.scalars(
            select(CaseEventRow.summary)
            .where(CaseEventRow.case_id == disclosure.case_id)
            .order_by(CaseEventRow.id.desc())
            .limit(1)
        ).all()
    assert summary == (
        f"Disclosure {queued.disclosure_id} is being sent again: secure email {again.outbox_id} queued in "
        f"place of secure email {queued.outbox_id}."
    )

    assert [d.result for d in deliver(db, smtp, clock)] == [Result.SENT]
    assert deliver(db, smtp, clock) == []
    [received] = smtp.handler.received  # exactly one delivery: the new message, tagged
    assert received.rcpt_tos == [NOT_SECURE]
    assert received.message["Subject"] == again.subject and received.message["Subject"].endswith("[secure]")
    assert received.message["Message-ID"] == again.message_id
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_filename() == f"{queued.document_reference}.pdf"
    with db.uow() as uow:  # the very document the register recorded, not one issued anew
        registered = uow.session.scalars(
            select(DocumentRow.sha256).where(DocumentRow.reference == queued.document_reference)
        ).one()
    assert hashlib.sha256(attachment.get_content()).hexdigest() == registered

    # The replaced message can never go as well, whichever way it is asked for.
    with pytest.raises(RefusedError, match=rf"message {queued.outbox_id} was replaced by a new message"):
        retry(db, queued.outbox_id)
    with pytest.raises(
        RefusedError,
        match=rf"cannot be sent as a new message; the latest message carrying its disclosure is message "
        rf"{again.outbox_id} \(sent\)",
    ):
        resend(db, queued.outbox_id)
    with pytest.raises(RefusedError, match=r"is sent; only a failed message can be sent as a new message"):
        resend(db, again.outbox_id)
    assert deliver(db, smtp, clock) == [] and len(smtp.handler.received) == 1
    with db.uow() as uow:
        assert audit_service.verify(uow=uow).ok


def pack_refused_by_the_panel(db: Db, smtp: SmtpServer) -> tuple[Request, QueuedMessage]:
    """A disclosure pack answering a partner request, queued to a panel whose mailbox is full."""
    made = partner_request(db)
    with db.uow() as uow:
        queued = send_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=made.assessment_id,
            to=CHANNEL,
            items=[ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()],
            on=TODAY,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=db.config,
        )
    smtp.handler.refuse[CHANNEL] = FULL
    return made, queued


def test_a_disclosure_pack_sent_again_answers_the_request_its_failure_opened(
    db: Db, smtp: SmtpServer
) -> None:
    made, queued = pack_refused_by_the_panel(db, smtp)
    clock = Clock()
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.FAILED]
    with db.uow() as uow:
        request = uow.session.get(PartnerRequestRow, made.request_id)
        assert request is not None and request.status == "open"
    del smtp.handler.refuse[CHANNEL]
    again_on = date(2026, 11, 27)
    move_both_clocks(db, clock, again_on)

    again = resend(db, queued.outbox_id, db.config)

    assert "[secure]" not in again.subject  # gov.uk: secure today as on the day it was queued
    with db.uow() as uow:
        request = uow.session.get(PartnerRequestRow, made.request_id)
        disclosure = uow.session.get(DisclosureRow, queued.disclosure_id)
        assert request is not None and disclosure is not None
        assert (request.status, request.answered_on) == ("answered", again_on)
        assert (disclosure.undelivered_on, disclosure.answers_request) == (None, True)
    assert [e for e, _ in events(db)[-4:]] == [
        "mail:message:replace",
        "mail:message:resend",
        "case:disclosure:update",
        "case:request:update",
    ]
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.SENT]
    assert smtp.message_ids() == [again.message_id]


def test_a_new_message_that_fails_too_opens_the_request_again_and_can_itself_be_sent_again(
    db: Db, smtp: SmtpServer
) -> None:
    made, queued = pack_refused_by_the_panel(db, smtp)
    clock = Clock()
    deliver(db, smtp, clock)
    second = resend(db, queued.outbox_id, db.config)
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.FAILED]
    with db.uow() as uow:
        request = uow.session.get(PartnerRequestRow, made.request_id)
        assert request is not None and request.status == "open"
    del smtp.handler.refuse[CHANNEL]

    third = resend(db, second.outbox_id, db.config)

    assert [message(db, m.outbox_id).status for m in (queued, second, third)] == [
        "replaced",
        "replaced",
        "queued",
    ]
    with pytest.raises(
        RefusedError, match=rf"latest message carrying its disclosure is message {third.outbox_id}"
    ):
        resend(db, queued.outbox_id, db.config)
    assert [d.result for d in deliver(db, smtp, clock)] == [Result.SENT]
    assert smtp.message_ids() == [third.message_id]


def superseded(db: Db, case_id: int) -> None:
    with db.uow() as uow:
        record_assessment(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            assessment_json=json.dumps(input_data()),
            config=db.config,
            today=db.clock.moment.astimezone(ENGLAND).date(),
            lead_decision=LeadDecision.DEPART,
            lead_reason="Synthetic: the police already hold this",
        )


def test_sending_again_is_refused_when_the_decision_no_longer_authorises_it_and_changes_nothing(
    db: Db, smtp: SmtpServer
) -> None:
    made = referral(db)
    with db.uow() as uow:
        queued = send_referral(
            uow=uow,
            actor="lead.a",
            case_id=made.case_id,
            to=POLICE,
            on=TODAY,
            renderer=RENDERER,
            from_address=FROM_ADDRESS,
            config=db.config,
        )
    smtp.handler.refuse[POLICE] = FULL
    clock = Clock()
    deliver(db, smtp, clock)
    superseded(db, made.case_id)
    del smtp.handler.refuse[POLICE]
    before = (events(db), count(db, OutboxMessageRow))

    with pytest.raises(
        RefusedError, match=r"message \d+ cannot be sent again: assessment \d+ was superseded"
    ):
        resend(db, queued.outbox_id, db.config)

    assert (events(db), count(db, OutboxMessageRow)) == before
    assert message(db, queued.outbox_id).status == "failed"
    assert deliver(db, smtp, clock) == [] and smtp.message_ids() == []


def test_only_a_failed_message_can_be_sent_again(db: Db, smtp: SmtpServer) -> None:
    queued = queue_untagged_referral(db, db.config)
    with pytest.raises(RefusedError, match=r"is queued; only a failed message can be sent as a new message"):
        resend(db, queued.outbox_id)
    assert [d.result for d in deliver(db, smtp, Clock())] == [Result.SENT]
    with pytest.raises(RefusedError, match=r"is sent; only a failed message can be sent as a new message"):
        resend(db, queued.outbox_id)
    with pytest.raises(NotFoundError, match="outbox message 999 does not exist"):
        resend(db, 999)
    assert count(db, OutboxMessageRow) == 1 and len(smtp.handler.received) == 1


@pytest.mark.parametrize("first", ["retry", "resend"])
def test_a_retry_and_a_send_again_at_the_same_moment_let_one_message_go(
    db: Db, smtp: SmtpServer, first: str
) -> None:
    # Two leads act on the same failed message at once (the accreditation still good, so either may
    # go): whichever locks it first wins, the other is refused, and one message is delivered.
    config = accredited_until_today(db)
    queued = queue_untagged_referral(db, config)
    smtp.handler.refuse[NOT_SECURE] = FULL
    clock = Clock()
    deliver(db, smtp, clock)
    del smtp.handler.refuse[NOT_SECURE]
    actions: dict[str, Callable[[], object]] = {
        "retry": lambda: retry(db, queued.outbox_id),
        "resend": lambda: resend(db, queued.outbox_id, config),
    }
    order = [first, *(a for a in actions if a != first)]
    outcomes: dict[str, str] = {}
    go = threading.Barrier(2)

    def act(name: str) -> None:
        go.wait()
        try:
            actions[name]()
            outcomes[name] = "done"
        except ServiceError as error:
            outcomes[name] = str(error)

    threads = [threading.Thread(target=act, args=(name,)) for name in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(v == "done" for v in outcomes.values()) == [False, True], outcomes
    assert deliver(db, smtp, clock)[0].result is Result.SENT
    assert deliver(db, smtp, clock) == []
    assert len(smtp.handler.received) == 1


def test_mail_resend_from_the_command_line(db: Db, smtp: SmtpServer, tmp_path: Path) -> None:
    # The command line runs on the real clock, past the day the accreditation ran to.
    env = {**db.cli_env(tmp_path / "data"), **smtp.env()}
    queued = queue_untagged_referral(db, accredited_until_today(db))
    smtp.handler.refuse[NOT_SECURE] = FULL
    deliver(db, smtp, Clock())
    del smtp.handler.refuse[NOT_SECURE]

    refused = runner.invoke(mail_app, ["retry", str(queued.outbox_id)], env=env)
    assert refused.exit_code == 2, refused.output
    assert f"prevent-ig mail resend {queued.outbox_id}" in refused.stderr

    resent = runner.invoke(mail_app, ["resend", str(queued.outbox_id)], env=env)
    assert resent.exit_code == 0, resent.output
    assert resent.stdout.startswith(f"message {queued.outbox_id} replaced by a new message\nqueued message ")
    assert resent.stdout.rstrip().endswith("[secure]")
    again = runner.invoke(mail_app, ["resend", str(queued.outbox_id)], env=env)
    assert again.exit_code == 2 and "was replaced by a new message" in again.stderr
    status = json.loads(runner.invoke(mail_app, ["status", "--json"], env=env).stdout)
    assert (status["counts"]["replaced"], status["counts"]["queued"], status["failed"]) == (1, 1, [])

    delivered = runner.invoke(mail_app, ["worker", "--once"], env=env)
    assert "1 sent, 0 deferred, 0 failed" in delivered.stdout
    [received] = smtp.handler.received
    assert received.message["Subject"].endswith("[secure]")
    missing = runner.invoke(mail_app, ["resend", "0"], env=env)
    assert missing.exit_code == 2 and "Traceback" not in missing.output
