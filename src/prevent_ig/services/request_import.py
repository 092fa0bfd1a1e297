"""Partner requests that arrive by email: import, review, complete as a partner request, or discard.

Importing only drafts: an email says who sent it and what they want, but not the §5 checklist
answers a lead must judge, and its headers can be forged. The draft carries a proposal for
``secure_channel`` with the facts behind it; the lead confirms or corrects it when completing. A
malformed or hostile email is refused whole, before anything is written.
"""

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from prevent_ig.adapters.mail.inbound import MalformedEmailError, parse_request_email
from prevent_ig.adapters.records.tables import RequestAttachmentRow, RequestDraftRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.england_date import date_in_england, year_problem
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.documents.intake import ChannelProposal, propose_secure_channel
from prevent_ig.domain.law.vocabulary import Purpose, RecipientType
from prevent_ig.domain.pathway.request_clock import is_overdue, respond_by
from prevent_ig.services.cases import require_case
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.requests import NewPartnerRequest, record_partner_request
from prevent_ig.services.transactions import enlisted

DRAFT = "draft"
COMPLETED = "completed"
DISCARDED = "discarded"


class AttachmentView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class DraftView(BaseModel):
    """A draft for the lead to review: the email as received, and what prevent-ig proposes."""

    model_config = ConfigDict(frozen=True)

    id: int
    status: str
    case_id: int | None
    sender_address: str
    sender_name: str | None
    sender_domain: str
    subject: str
    body: str
    sent_at: datetime | None
    sent_on: date | None
    """The day in England the email says it was sent, if it says a day this service can record."""
    imported_on: date
    received_on: date
    """The day the request is taken to have arrived unless the lead says otherwise (``received_on``)."""
    secure_domain: bool
    marking: str | None
    proposed_secure_channel: bool
    explanation: str
    request_id: int | None
    attachments: list[AttachmentView]


class DraftSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    status: str
    case_id: int | None
    sender_domain: str
    imported_on: date
    proposed_secure_channel: bool
    attachments: int


def import_request_email(
    *, uow: UnitOfWork, actor: str, raw: bytes, on: date, config: EngineConfig, case_id: int | None = None
) -> DraftView:
    try:
        email = parse_request_email(raw)
    except MalformedEmailError as error:
        raise InvalidFieldError(error.field, error.message) from None
    if case_id is not None:
        require_case(uow, case_id)
    earlier = uow.session.scalar(select(RequestDraftRow.id).where(RequestDraftRow.raw_sha256 == email.sha256))
    if earlier is not None:
        raise RefusedError(f"this email was already imported as draft {earlier}")
    proposal = propose_secure_channel(
        sender=email.sender_address,
        subject=email.subject,
        body=email.body,
        accredited_domains=config.accredited_on(on),
    )
    row = RequestDraftRow(
        case_id=case_id,
        status=DRAFT,
        sender_address=email.sender_address,
        sender_name=email.sender_name,
        sender_domain=proposal.sender_domain,
        subject=email.subject,
        body=email.body,
        sent_at=email.sent_at,
        message_id=email.message_id,
        raw_sha256=email.sha256,
        secure_domain=proposal.secure_domain,
        marking=proposal.marking,
        proposed_secure_channel=proposal.secure_channel,
        imported_on=on,
        imported_at=uow.now().replace(tzinfo=None),
        imported_by=actor,
    )
    uow.session.add(row)
    uow.session.flush()
    for attachment in email.attachments:
        uow.session.add(
            RequestAttachmentRow(
                draft_id=row.id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=len(attachment.content),
                sha256=_sha256(attachment.content),
                content=attachment.content,
            )
        )
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        event="request:draft:create",
        case_id=case_id,
        entity=f"draft:{row.id}",
        change={"sha256": email.sha256, "attachments": [a.filename for a in email.attachments]},
    )
    view = _view(uow, row)
    uow.commit()
    return view


def list_drafts(*, uow: UnitOfWork, actor: str, status: str | None = DRAFT) -> list[DraftSummary]:
    query = select(RequestDraftRow).order_by(RequestDraftRow.id)
    if status is not None:
        query = query.where(RequestDraftRow.status == status)
    drafts = list(uow.session.scalars(query))
    counts = _attachment_counts(uow, [d.id for d in drafts])
    summaries = [
        DraftSummary(
            id=d.id,
            status=d.status,
            case_id=d.case_id,
            sender_domain=d.sender_domain,
            imported_on=d.imported_on,
            proposed_secure_channel=d.proposed_secure_channel,
            attachments=counts.get(d.id, 0),
        )
        for d in drafts
    ]
    uow.audit.record(actor=actor, event="request:draft:list", entity=f"status:{status or 'all'}")
    uow.commit()
    return summaries


def view_draft(*, uow: UnitOfWork, actor: str, draft_id: int) -> DraftView:
    row = _draft(uow, draft_id)
    view = _view(uow, row)
    uow.audit.record(actor=actor, event="request:draft:view", case_id=row.case_id, entity=f"draft:{row.id}")
    uow.commit()
    return view


def attachment_content(*, uow: UnitOfWork, actor: str, attachment_id: int) -> tuple[AttachmentView, bytes]:
    """One attachment's bytes, for the lead to download and open with their own tools."""
    row = uow.session.get(RequestAttachmentRow, attachment_id)
    if row is None:
        raise NotFoundError(f"attachment {attachment_id} does not exist")
    draft = _draft(uow, row.draft_id)
    uow.audit.record(
        actor=actor, event="request:attachment:view", case_id=draft.case_id, entity=f"attachment:{row.id}"
    )
    uow.commit()
    return AttachmentView.model_validate(row, from_attributes=True), row.content


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftCompletion:
    """What the lead judges and adds; the address comes from the email itself."""

    organisation: str
    person: str
    role: str
    recipient_type: RecipientType
    purpose: Purpose
    items_requested: list[str]
    proforma: bool
    secure_channel: bool
    """The lead's confirmation (or correction) of prevent-ig's proposal."""
    consent_position_stated: bool
    reason_given: bool
    specific: bool
    legal_powers_cited: list[str] = field(default_factory=list)
    received_on: date | None = None
    """Default: the day the email says it was sent, in England (``received_by_default``)."""


def complete_draft(
    *,
    uow: UnitOfWork,
    actor: str,
    draft_id: int,
    case_id: int,
    completion: DraftCompletion,
    calendar: WorkingDayCalendar,
    today: date,
) -> int:
    """Record the partner request from the draft; both happen in one transaction, or neither."""
    row = _draft(uow, draft_id)
    if row.status != DRAFT:
        raise RefusedError(f"draft {draft_id} is {row.status}, not a draft")
    details = asdict(completion)
    received_on = details.pop("received_on") or _believable_default(row, calendar, today)
    request_id = record_partner_request(
        uow=enlisted(uow),
        actor=actor,
        case_id=case_id,
        request=NewPartnerRequest(**details, email=row.sender_address, received_on=received_on),
        calendar=calendar,
        today=today,
    )
    row.status = COMPLETED
    row.case_id = case_id
    row.request_id = request_id
    uow.audit.record(
        actor=actor,
        event="request:draft:complete",
        case_id=case_id,
        entity=f"draft:{row.id}",
        change={
            "request_id": request_id,
            "secure_channel": completion.secure_channel,
            "proposed_secure_channel": row.proposed_secure_channel,
        },
    )
    uow.commit()
    return request_id


def discard_draft(*, uow: UnitOfWork, actor: str, draft_id: int, reason: str) -> None:
    row = _draft(uow, draft_id)
    if row.status != DRAFT:
        raise RefusedError(f"draft {draft_id} is {row.status}, not a draft")
    if not reason.strip():
        raise InvalidFieldError("reason", "say why the email is not a request to record")
    row.status = DISCARDED
    uow.audit.record(
        actor=actor,
        event="request:draft:discard",
        case_id=row.case_id,
        entity=f"draft:{row.id}",
        change={"reason": reason},
    )
    uow.commit()


def sent_on(row: RequestDraftRow) -> date | None:
    """The day in England of the email's Date header (kept in UTC): sent at 00:30 in summer is sent that
    day, not the one before. ``None`` when the header gives a year no record can hold (9999)."""
    if row.sent_at is None or year_problem(row.sent_at.date()) is not None:
        return None
    return date_in_england(row.sent_at.replace(tzinfo=UTC))


def received_by_default(row: RequestDraftRow) -> date:
    """When the request arrived, as far as the email tells: the clock counts from the day it came, not
    the day someone imported it (an email read on Monday and imported on Wednesday must not give the
    lead two more days). The Date header is the sender's claim and can be wrong, so the web form shows
    it for the lead to confirm or correct; a date after the import, which no email that had already
    arrived can have, is not believed, and the day of the import stands in for it."""
    sent = sent_on(row)
    return sent if sent is not None and sent <= row.imported_on else row.imported_on


def _believable_default(row: RequestDraftRow, calendar: WorkingDayCalendar, today: date) -> date:
    """``received_by_default``, unless the lead must say the day (``past_due_by_its_own_date``)."""
    received_on = received_by_default(row)
    if (due := past_due_by_its_own_date(received_on, row.imported_on, calendar, today)) is not None:
        raise InvalidFieldError(
            "received_on",
            f"the email is dated {received_on.isoformat()}, which would have made the request due on "
            f"{due.isoformat()}, already past; give the day it arrived (the email's date if it is right)",
        )
    return received_on


def past_due_by_its_own_date(
    received_on: date, imported_on: date, calendar: WorkingDayCalendar, today: date
) -> date | None:
    """The due date an email's own date gives, if that has already passed; else ``None``.

    Such a default is not taken on the sender's word. A sender's clock set years back would otherwise
    make a request overdue the moment it is recorded, and the oversight report would count it late for
    good. The date may still be true (an email left unread in a shared inbox), so the lead is asked to
    say the day, not told it; giving it, even as the email's own date, is enough. The import day, which
    stands in when the header is not believed, is a fact of this service and needs no confirming."""
    if received_on == imported_on:
        return None
    due = respond_by(calendar, received_on)
    return due if is_overdue(due, today) else None


def _draft(uow: UnitOfWork, draft_id: int) -> RequestDraftRow:
    row = uow.session.get(RequestDraftRow, draft_id)
    if row is None:
        raise NotFoundError(f"request draft {draft_id} does not exist")
    return row


def _view(uow: UnitOfWork, row: RequestDraftRow) -> DraftView:
    proposal = ChannelProposal(
        secure_domain=row.secure_domain,
        sender_domain=row.sender_domain,
        marking=row.marking,
        secure_channel=row.proposed_secure_channel,
    )
    attachments = uow.session.execute(
        select(
            RequestAttachmentRow.id,
            RequestAttachmentRow.filename,
            RequestAttachmentRow.content_type,
            RequestAttachmentRow.size,
            RequestAttachmentRow.sha256,
        )
        .where(RequestAttachmentRow.draft_id == row.id)
        .order_by(RequestAttachmentRow.id)
    )
    return DraftView(
        id=row.id,
        status=row.status,
        case_id=row.case_id,
        sender_address=row.sender_address,
        sender_name=row.sender_name,
        sender_domain=row.sender_domain,
        subject=row.subject,
        body=row.body,
        sent_at=row.sent_at,
        sent_on=sent_on(row),
        imported_on=row.imported_on,
        received_on=received_by_default(row),
        secure_domain=row.secure_domain,
        marking=row.marking,
        proposed_secure_channel=row.proposed_secure_channel,
        explanation=proposal.explanation,
        request_id=row.request_id,
        attachments=[AttachmentView(**a._asdict()) for a in attachments],
    )


def _attachment_counts(uow: UnitOfWork, draft_ids: list[int]) -> dict[int, int]:
    if not draft_ids:
        return {}
    rows = uow.session.execute(
        select(RequestAttachmentRow.draft_id, func.count())
        .where(RequestAttachmentRow.draft_id.in_(draft_ids))
        .group_by(RequestAttachmentRow.draft_id)
    )
    return {draft_id: int(count) for draft_id, count in rows}


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
