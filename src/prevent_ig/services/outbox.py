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
from email.parser import BytesHeaderParser
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
    now = uow.now()
    message_id = new_message_id(from_address)
    row = OutboxMessageRow(
        message_id=message_id,
        kind=issued.kind.value,
        case_id=stored.row.case_id,
        disclosure_id=disclosure_id,
        document_id=issued.id,
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
    row = uow.session.get(OutboxMessageRow, outbox_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"outbox message {outbox_id} does not exist")
    if row.status != Status.FAILED.value:
        raise RefusedError(f"message {outbox_id} is {row.status}; only a failed message can be tried again")
    if (withheld := why_not_sendable(uow, row)) is not None:
        raise RefusedError(f"message {outbox_id} cannot be sent again: {withheld}")
    accredited = config.accredited_on(uow.today())
    if (
        SECURE_TAG not in row.subject
        and not check_email(row.envelope_to, accredited_domains=accredited).secure
    ):
        raise RefusedError(
            f"message {outbox_id} cannot be sent again: its recipient's domain is no longer accredited as "
            f"secure, and the message was queued without {SECURE_TAG}; send it again to have it tagged"
        )
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
