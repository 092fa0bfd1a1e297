"""Sending referrals and disclosures by secure email: queuing into the transactional outbox, and
watching it.

Queuing writes the disclosure record, the document and the message (its exact bytes, Message-ID
fixed) in one transaction. Either all of it happened or none of it did: a crash can never leave a
disclosure on record that was never queued, or a message queued with no disclosure behind it.
Delivery is the worker's job (``services.delivery``); failures it cannot overcome are shown here for
a person to act on.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from prevent_ig.adapters.mail.mime import build_mime, new_message_id
from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    DisclosureRow,
    DocumentRow,
    OutboxMessageRow,
)
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.documents.messages import (
    PDF,
    SECURE_TAG,
    Addressing,
    Attachment,
    ComposedMessage,
    CompositionRefusedError,
    address_message,
    compose_message,
)
from prevent_ig.domain.documents.model import DocumentKind
from prevent_ig.domain.law.vocabulary import Outcome
from prevent_ig.domain.transmit.secure_email import check_email
from prevent_ig.services.authority import why_not_authorised
from prevent_ig.services.disclosures import ReleasedItem, record_disclosure
from prevent_ig.services.documents import (
    DocumentRenderer,
    IssuedDocument,
    Stored,
    authorising_assessment,
    current_referral,
    disclosure_pack_in_transaction,
    referral_in_transaction,
    released_contents,
)
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.request_answers import answer_request_with, restore_on_requeue
from prevent_ig.services.transactions import enlisted

log = logging.getLogger(__name__)

TITLES = {
    DocumentKind.REFERRAL: "Prevent referral",
    DocumentKind.DISCLOSURE: "Disclosure of information for Prevent",
}


class Status(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    REPLACED = "replaced"
    """Failed, then sent again as a new message (``resend_message``): never to be tried or sent itself."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedMessage:
    outbox_id: int
    message_id: str
    disclosure_id: int
    document_reference: str
    subject: str
    to: str
    secure_domain: bool


# --- queuing ------------------------------------------------------------------------------------------


def send_referral(
    *,
    uow: UnitOfWork,
    actor: str,
    case_id: int,
    to: str,
    on: date,
    renderer: DocumentRenderer,
    from_address: str,
    config: EngineConfig,
) -> QueuedMessage:
    """Queue the case's referral form to the police Prevent team its decision assessed."""
    stored = current_referral(uow, case_id)
    addressing = _addressing(stored, to=to, config=config, today=uow.today())
    issued = referral_in_transaction(uow=uow, actor=actor, case_id=case_id, on=on, renderer=renderer)
    snapshot = f"Sent in referral form {issued.reference} (SHA-256 {_sha256(issued)})."
    items = [ReleasedItem(id=i, content=snapshot) for i in stored.decision.items_to_share]
    queued = _queue(
        uow,
        actor=actor,
        stored=stored,
        addressing=addressing,
        issued=issued,
        items=items,
        on=on,
        from_address=from_address,
    )
    uow.commit()
    return queued


def send_disclosure(
    *,
    uow: UnitOfWork,
    actor: str,
    assessment_id: int,
    to: str,
    items: list[ReleasedItem] | None,
    on: date,
    renderer: DocumentRenderer,
    from_address: str,
    config: EngineConfig,
) -> QueuedMessage:
    """Queue the disclosure pack; the partner request it answers is marked answered with it."""
    stored = authorising_assessment(uow, assessment_id)
    addressing = _addressing(stored, to=to, config=config, today=uow.today())
    released = [ReleasedItem(id=c.id, content=c.content) for c in released_contents(uow, stored, items)]
    issued = disclosure_pack_in_transaction(
        uow=uow, actor=actor, assessment_id=assessment_id, on=on, renderer=renderer, items=released
    )
    queued = _queue(
        uow,
        actor=actor,
        stored=stored,
        addressing=addressing,
        issued=issued,
        items=released,
        on=on,
        from_address=from_address,
    )
    request_id = stored.row.request_id
    if request_id is not None:
        # Answered now, as the message is retried until it goes; if it never does, the worker opens the
        # request again (services/request_answers.py), which is why the pack it rests on is marked.
        disclosure = uow.session.get(DisclosureRow, queued.disclosure_id)
        assert disclosure is not None  # recorded above, in this transaction
        answer_request_with(uow, actor=actor, disclosure=disclosure, request_id=request_id, on=on)
    uow.commit()
    return queued


def _addressing(stored: Stored, *, to: str, config: EngineConfig, today: date) -> Addressing:
    """How the message must go, judged on the day it is queued: a document dated earlier (``on``) is
    still sent now, so an accreditation that has since lapsed must not spare it the [secure] tag."""
    try:
        return address_message(
            outcome=Outcome(stored.row.outcome),
            lead_followed=stored.row.lead_decision == "follow",
            assessment_id=stored.row.id,
            assessed_recipient=stored.assessment.recipient.email,
            to=to,
            accredited_domains=config.accredited_on(today),
        )
    except CompositionRefusedError as error:
        if error.malformed:
            raise InvalidFieldError(error.field, error.message) from None
        raise RefusedError(str(error)) from None


def _queue(
    uow: UnitOfWork,
    *,
    actor: str,
    stored: Stored,
    addressing: Addressing,
    issued: IssuedDocument,
    items: list[ReleasedItem],
    on: date,
    from_address: str,
) -> QueuedMessage:
    """Record the disclosure and store the message; the caller commits both together."""
    disclosure_id = record_disclosure(
        uow=enlisted(uow), actor=actor, assessment_id=stored.row.id, items=items, method="secure_email", on=on
    )
    message = compose_message(
        addressing,
        title=TITLES[issued.kind],
        reference=issued.reference,
        attachment=Attachment(filename=issued.filename, media_type=PDF, content=issued.content),
    )
    row = _stored_message(
        uow,
        message,
        kind=issued.kind.value,
        case_id=stored.row.case_id,
        disclosure_id=disclosure_id,
        document_id=issued.id,
        from_address=from_address,
        actor=actor,
    )
    message_id = row.message_id
    uow.audit.record(
        actor=actor,
        event="case:disclosure:send",
        case_id=stored.row.case_id,
        entity=f"message:{row.id}",
        change={
            "disclosure_id": disclosure_id,
            "document": issued.reference,
            "message_id": message_id,
            "to": message.to,
        },
    )
    log.info("message %s queued for disclosure %s (case %s)", row.id, disclosure_id, stored.row.case_id)
    return QueuedMessage(
        outbox_id=row.id,
        message_id=message_id,
        disclosure_id=disclosure_id,
        document_reference=issued.reference,
        subject=message.subject,
        to=message.to,
        secure_domain=message.secure_domain,
    )


def _stored_message(
    uow: UnitOfWork,
    message: ComposedMessage,
    *,
    kind: str,
    case_id: int | None,
    disclosure_id: int | None,
    document_id: int | None,
    from_address: str,
    actor: str,
) -> OutboxMessageRow:
    """The message built once, with a new Message-ID, and stored queued for the worker: its bytes are
    what leaves, so every attempt and a later retry send exactly this."""
    now = uow.now()
    message_id = new_message_id(from_address)
    row = OutboxMessageRow(
        message_id=message_id,
        kind=kind,
        case_id=case_id,
        disclosure_id=disclosure_id,
        document_id=document_id,
        envelope_from=from_address,
        envelope_to=message.to,
        subject=message.subject,
        raw=build_mime(message, from_address=from_address, message_id=message_id, sent_at=now),
        status=Status.QUEUED.value,
        attempts=0,
        next_attempt_at=naive_utc(now),
        queued_at=naive_utc(now),
        queued_by=actor,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def _sha256(issued: IssuedDocument) -> str:
    return hashlib.sha256(issued.content).hexdigest()


# --- oversight ----------------------------------------------------------------------------------------


class MessageView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    case_id: int | None
    disclosure_id: int | None
    status: str
    attempts: int
    subject: str
    envelope_to: str
    message_id: str
    queued_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


class OutboxOverview(BaseModel):
    """For the dashboard: how many messages are in each state, and each one a person must act on."""

    model_config = ConfigDict(frozen=True)

    counts: dict[str, int]
    failed: list[MessageView]
    waiting: list[MessageView]
    """Queued or sending, oldest first: a growing list means the mail server is unreachable."""


VIEW_LIMIT = 200


def outbox_overview(*, uow: UnitOfWork, actor: str) -> OutboxOverview:
    counts = {s.value: 0 for s in Status}
    for status, count in uow.session.execute(
        select(OutboxMessageRow.status, func.count()).group_by(OutboxMessageRow.status)
    ):
        counts[status] = count
    columns = [getattr(OutboxMessageRow, name) for name in MessageView.model_fields]

    def views(*statuses: Status) -> list[MessageView]:
        rows = uow.session.execute(
            select(*columns)
            .where(OutboxMessageRow.status.in_([s.value for s in statuses]))
            .order_by(OutboxMessageRow.queued_at, OutboxMessageRow.id)
            .limit(VIEW_LIMIT)
        )
        return [MessageView(**row._asdict()) for row in rows]

    overview = OutboxOverview(
        counts=counts, failed=views(Status.FAILED), waiting=views(Status.QUEUED, Status.SENDING)
    )
    uow.audit.record(actor=actor, event="mail:outbox:view", entity="outbox")
    uow.commit()
    return overview


def requeue_message(*, uow: UnitOfWork, actor: str, outbox_id: int, config: EngineConfig) -> None:
    """Try a failed message again, unchanged (same bytes, same Message-ID), once the cause is fixed.
    Unchanged means its subject too: one queued without [secure] to a domain accredited then may not
    go now that the accreditation has lapsed, for NHSmail would send it unencrypted. Refused, it
    changes nothing; queued, its disclosure and the request it answers stand as when first queued."""
    row = _failed_message(uow, outbox_id, action="tried again")
    if (withheld := why_not_sendable(uow, row)) is not None:
        raise RefusedError(f"message {outbox_id} cannot be sent again: {withheld}")
    if (untagged := why_not_untagged(row, config=config, on=uow.today())) is not None:
        raise RefusedError(f"message {outbox_id} cannot be sent again unchanged: {untagged}")
    row.status = Status.QUEUED.value
    row.attempts = 0
    row.failed_at = None
    row.next_attempt_at = naive_utc(uow.now())
    uow.audit.record(
        actor=actor,
        event="mail:message:requeue",
        case_id=row.case_id,
        entity=f"message:{row.id}",
        change={"status": row.status, "attempts": row.attempts, "next_attempt_at": row.next_attempt_at},
    )
    # Its failure marked the disclosure undelivered and may have opened the request it answered: queued
    # again, it stands as queuing it did, the request answered today if nothing else answered it since.
    restore_on_requeue(uow, row, actor=actor, on=uow.today())
    uow.commit()


RESEND_COMMAND = "prevent-ig mail resend {id}"
RESEND_BUTTON = "Send as a new message"
"""Where the lead sends a failed message again as a new one: named in every refusal that needs it."""


def why_not_untagged(row: OutboxMessageRow, *, config: EngineConfig, on: date) -> str | None:
    """Why the message may not leave unchanged on ``on`` for want of [secure], or ``None``.

    The tag was judged on the day the message was queued, and its bytes cannot change after. Left out
    because the recipient's domain was accredited then, it must not be missing on a day the domain is
    not (the accreditation lapsed, or the domain was taken off the register): NHSmail would send the
    message unencrypted. Asked by a retry and by the worker before every attempt, so neither can send
    what the other refuses. ``config`` carries the register's domains (``with_registered_domains``)."""
    if SECURE_TAG in row.subject:
        return None
    if check_email(row.envelope_to, accredited_domains=config.accredited_on(on)).secure:
        return None
    return (
        f"its recipient's domain is no longer accredited as secure, and the message was queued without "
        f"{SECURE_TAG}; send it as a new message instead, tagged as today requires "
        f"({RESEND_COMMAND.format(id=row.id)}, or '{RESEND_BUTTON}' on the Secure email page)"
    )


def resend_message(
    *, uow: UnitOfWork, actor: str, outbox_id: int, config: EngineConfig, from_address: str
) -> QueuedMessage:
    """Send a failed message again as a new message: the same document (the very bytes the register's
    hash was taken of) for the same disclosure, composed today, so the [secure] tag and the sender are
    judged now, with a new Message-ID. The way out when the unchanged message may not go (the
    recipient's accreditation lapsed after it was queued untagged, or the sender it names was refused),
    without a second disclosure of the decision. The failed message is marked replaced in the same
    transaction, with its row locked as a retry locks it, so it can never be tried or sent as well: of
    the two, at most one leaves. Refused, it changes nothing; queued, the disclosure and the request it
    answers stand as a successful retry leaves them."""
    row = _failed_message(uow, outbox_id, action="sent as a new message")
    if (withheld := why_not_sendable(uow, row)) is not None:
        raise RefusedError(f"message {outbox_id} cannot be sent again: {withheld}")
    disclosure = uow.session.get(DisclosureRow, row.disclosure_id) if row.disclosure_id is not None else None
    document = uow.session.get(DocumentRow, row.document_id) if row.document_id is not None else None
    kind = DocumentKind(row.kind) if row.kind in TITLES else None
    if disclosure is None or document is None or kind is None:
        raise RefusedError(f"message {outbox_id} carries no disclosed document to send again")
    if (active := _other_message_of(uow, row)) is not None:
        raise RefusedError(
            f"message {outbox_id} cannot be sent again: message {active.id}, carrying the same disclosure, "
            f"is {active.status}"
        )
    stored = authorising_assessment(uow, disclosure.assessment_id)
    addressing = _addressing(stored, to=row.envelope_to, config=config, today=uow.today())
    message = compose_message(
        addressing,
        title=TITLES[kind],
        reference=document.reference,
        attachment=_attached_document(row, document),
    )
    new = _stored_message(
        uow,
        message,
        kind=row.kind,
        case_id=row.case_id,
        disclosure_id=row.disclosure_id,
        document_id=row.document_id,
        from_address=from_address,
        actor=actor,
    )
    message_id = new.message_id
    row.status = Status.REPLACED.value
    uow.audit.record(
        actor=actor,
        event="mail:message:replace",
        case_id=row.case_id,
        entity=f"message:{row.id}",
        change={"status": row.status, "replaced_by": new.id},
    )
    uow.audit.record(
        actor=actor,
        event="mail:message:resend",
        case_id=new.case_id,
        entity=f"message:{new.id}",
        change={
            "replaces": row.id,
            "disclosure_id": new.disclosure_id,
            "document": document.reference,
            "message_id": message_id,
            "to": message.to,
            "secure_tag": SECURE_TAG in message.subject,
        },
    )
    # As a retry does: the disclosure is no longer marked undelivered, and a pack answers its request
    # again today if the request was opened again by the failure.
    restore_on_requeue(uow, new, actor=actor, on=uow.today(), replacing=row)
    log.info("message %s queued in place of message %s (case %s)", new.id, row.id, row.case_id)
    queued = QueuedMessage(
        outbox_id=new.id,
        message_id=message_id,
        disclosure_id=disclosure.id,
        document_reference=document.reference,
        subject=message.subject,
        to=message.to,
        secure_domain=message.secure_domain,
    )
    uow.commit()
    return queued


def _failed_message(uow: UnitOfWork, outbox_id: int, *, action: str) -> OutboxMessageRow:
    """The message, locked until commit, if it failed; otherwise a refusal that says what it is.

    Retrying and sending again both lock the row first and act only on a failed one: whichever of two
    people comes second finds it queued again or replaced, and is refused."""
    row = uow.session.get(OutboxMessageRow, outbox_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"outbox message {outbox_id} does not exist")
    if row.status == Status.REPLACED.value:
        latest = _latest_message_of(uow, row)
        raise RefusedError(
            f"message {outbox_id} was replaced by a new message and cannot be {action}; the latest "
            f"message carrying its disclosure is message {latest.id} ({latest.status})"
        )
    if row.status != Status.FAILED.value:
        raise RefusedError(f"message {outbox_id} is {row.status}; only a failed message can be {action}")
    return row


def _other_message_of(uow: UnitOfWork, row: OutboxMessageRow) -> OutboxMessageRow | None:
    """Another message carrying the same disclosure that is on its way or delivered: none may be, while
    one failed (each resend replaces the one it follows); checked so that records from before that rule
    cannot let a second message go beside it."""
    if row.disclosure_id is None:
        return None
    return uow.session.scalars(
        select(OutboxMessageRow)
        .where(
            OutboxMessageRow.disclosure_id == row.disclosure_id,
            OutboxMessageRow.id != row.id,
            OutboxMessageRow.status.not_in([Status.FAILED.value, Status.REPLACED.value]),
        )
        .order_by(OutboxMessageRow.id)
        .limit(1)
    ).first()


def _latest_message_of(uow: UnitOfWork, row: OutboxMessageRow) -> OutboxMessageRow:
    """The newest message carrying the same disclosure (the row itself when it carries none)."""
    if row.disclosure_id is None:
        return row
    latest = uow.session.scalars(
        select(OutboxMessageRow)
        .where(OutboxMessageRow.disclosure_id == row.disclosure_id)
        .order_by(OutboxMessageRow.id.desc())
        .limit(1)
    ).first()
    return latest if latest is not None else row


def _attached_document(row: OutboxMessageRow, document: DocumentRow) -> Attachment:
    """The document the failed message carried, taken from its stored bytes (the register keeps a hash,
    not a copy): the same form or pack, checked against that hash, not one issued anew."""
    parsed = BytesParser(policy=policy.default).parsebytes(row.raw)
    assert isinstance(parsed, EmailMessage)  # policy.default parses into EmailMessage
    for part in parsed.iter_attachments():
        content = part.get_content()
        if isinstance(content, bytes) and hashlib.sha256(content).hexdigest() == document.sha256:
            return Attachment(
                filename=part.get_filename() or f"{document.reference}.pdf",
                media_type=part.get_content_type(),
                content=content,
            )
    raise RefusedError(
        f"message {row.id} does not carry document {document.reference} as the register recorded it; "
        "it cannot be sent again"
    )


def why_not_sendable(uow: UnitOfWork, row: OutboxMessageRow) -> str | None:
    """Why a queued or failed message must not leave now, or ``None``. It was composed from a decision
    that allowed it, but it leaves later (the mail server down for a day, a retry next week): by then
    a newer decision on the same question, or consent withdrawn, may have taken that authority away
    (services/authority.py). Messages that carry no decision (a clarification letter) always may."""
    assessment_id = None
    if row.disclosure_id is not None:
        disclosure = uow.session.get(DisclosureRow, row.disclosure_id)
        assessment_id = disclosure.assessment_id if disclosure is not None else None
    elif row.document_id is not None:
        document = uow.session.get(DocumentRow, row.document_id)
        assessment_id = document.assessment_id if document is not None else None
    if assessment_id is None:
        return None
    assessment = uow.session.get(AssessmentRow, assessment_id)
    assert assessment is not None  # a foreign key
    return why_not_authorised(uow, assessment)


def naive_utc(moment: datetime) -> datetime:
    """Times are stored in UTC without a zone, as everywhere in the records."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def record_sink_view(*, uow: UnitOfWork, actor: str, filename: str, raw: bytes) -> None:
    """Audit a download of a message the demo's mail sink kept: it holds what was sent, the referral
    form with a subject's details among it. The sent message's own record names the case."""
    message_id = str(BytesHeaderParser().parsebytes(raw).get("Message-ID", "")).strip()
    row = uow.session.scalar(select(OutboxMessageRow).where(OutboxMessageRow.message_id == message_id))
    uow.audit.record(
        actor=actor,
        event="mail:sink:view",
        case_id=row.case_id if row is not None else None,
        entity=f"message:{row.id}" if row is not None else f"sink:{filename}",
    )
    uow.commit()
