"""The database tables (SQLAlchemy 2, typed ``Mapped[]``), with generic column types only.

The same Alembic migrations run on SQLite (the embedded default) and PostgreSQL, so nothing here may
use a dialect-specific type. Enum-valued columns are plain strings holding the enum's value: the
domain enums are the single source of the allowed values, and a stage added later needs no
ALTER TYPE on PostgreSQL.
"""

from datetime import date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MAX_ID = 2_147_483_647
"""Ids are 32-bit on every database we support: a larger number is refused at the door (URL, body,
command line), never overflowed."""
SHORT = 64
CALDICOTT_ANSWER_INDEX = "uq_caldicott_log_answer"
"""One answer from the adviser's queue per assessment (migration 0005)."""
NAME = 200


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def table_of(row: type[Base]) -> Table:
    """The mapped class's table, for Core statements on hot paths: they skip the ORM's loading
    machinery, about half the cost of each small read (measured with bench/load.py)."""
    return cast(Table, row.__table__)


class SubjectRow(Base):
    """The person a case is about: a patient, service user or member of staff."""

    __tablename__ = "subjects"
    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(SHORT))
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    given_name: Mapped[str] = mapped_column(String(NAME))
    family_name: Mapped[str] = mapped_column(String(NAME))
    date_of_birth: Mapped[date]
    address: Mapped[str] = mapped_column(Text)
    adult_at_risk: Mapped[bool] = mapped_column(Boolean)
    has_capacity: Mapped[bool | None] = mapped_column(Boolean)
    capacity_assessed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CaseRow(Base):
    """One Prevent concern about one subject, moving along the pathway."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    owner: Mapped[str] = mapped_column(String(NAME), index=True)
    raised_by: Mapped[str] = mapped_column(String(NAME))
    concern: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(SHORT), index=True)
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    closure: Mapped[str | None] = mapped_column(String(SHORT))
    exit_reason: Mapped[str | None] = mapped_column(String(SHORT))
    information_request_on: Mapped[date | None]
    information_due_on: Mapped[date | None]
    information_request_id: Mapped[int | None] = mapped_column(Integer)
    """The partner request that asked for the information (migration 0010). Not a foreign key: partner
    requests already point at their case, and a cycle of keys would leave the two tables without an
    order to be created and dropped in. The service writes only a request of this case."""
    review_6_due_on: Mapped[date | None]
    review_12_due_on: Mapped[date | None]
    next_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    """The case's own next deadline (information gathering or a review), kept for indexed queries."""
    next_due_kind: Mapped[str | None] = mapped_column(String(SHORT))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    subject: Mapped[SubjectRow] = relationship(lazy="joined")


class CaseEventRow(Base):
    """The case timeline: every stage change and recorded step, in order."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    on: Mapped[date]
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(NAME))
    kind: Mapped[str] = mapped_column(String(SHORT))
    from_stage: Mapped[str | None] = mapped_column(String(SHORT))
    to_stage: Mapped[str | None] = mapped_column(String(SHORT))
    summary: Mapped[str] = mapped_column(Text)


class ConsentRow(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    scope: Mapped[str] = mapped_column(String(SHORT))
    """``sharing`` (consent to share information) or ``channel_support`` (CTSA 2015 s36(4)(b))."""
    sought: Mapped[bool] = mapped_column(Boolean)
    sought_by: Mapped[str | None] = mapped_column(String(NAME))
    sought_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(SHORT))
    given_by: Mapped[str | None] = mapped_column(String(SHORT))
    reason_not_sought: Mapped[str | None] = mapped_column(String(SHORT))
    has_capacity: Mapped[bool] = mapped_column(Boolean)
    capacity_assessed_by: Mapped[str | None] = mapped_column(String(NAME))
    best_interests_decision: Mapped[str | None] = mapped_column(Text)
    best_interests_consulted: Mapped[str | None] = mapped_column(Text)
    recorded_on: Mapped[date]
    withdrawn_on: Mapped[date | None]


class PartnerRequestRow(Base):
    __tablename__ = "partner_requests"
    __table_args__ = (Index("ix_partner_requests_status_due", "status", "due_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(NAME))
    person: Mapped[str] = mapped_column(String(NAME))
    role: Mapped[str] = mapped_column(String(NAME))
    email: Mapped[str] = mapped_column(String(320))
    recipient_type: Mapped[str] = mapped_column(String(SHORT))
    purpose: Mapped[str] = mapped_column(String(SHORT))
    received_on: Mapped[date]
    items_requested: Mapped[list[Any]]
    proforma: Mapped[bool] = mapped_column(Boolean)
    secure_channel: Mapped[bool] = mapped_column(Boolean)
    consent_position_stated: Mapped[bool] = mapped_column(Boolean)
    reason_given: Mapped[bool] = mapped_column(Boolean)
    specific: Mapped[bool] = mapped_column(Boolean)
    legal_powers_cited: Mapped[list[Any]]
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(SHORT))
    """``open``, ``awaiting_clarification`` or ``answered``."""
    answered_on: Mapped[date | None]


class ClarificationRow(Base):
    __tablename__ = "request_clarifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("partner_requests.id"), index=True)
    sent_on: Mapped[date]
    missing: Mapped[list[Any]]
    sent_by: Mapped[str] = mapped_column(String(NAME))
    resolved_on: Mapped[date | None]


class AssessmentRow(Base):
    """An engine decision stored whole, with the lead's own decision beside it. Never edited."""

    __tablename__ = "assessments"
    __table_args__ = (
        # The dashboard counts standing decisions by basis from this index alone (migration 0006).
        Index("ix_assessments_basis", "confidentiality_basis", "outcome", "id"),
        # The advice queue reads only the few decisions that wait.
        Index(
            "ix_assessments_awaiting_advice",
            "id",
            # As each database's SQL says "awaits" (SQLite compares with 1), or the index goes unused.
            sqlite_where=text("awaits_advice = 1"),
            postgresql_where=text("awaits_advice"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("partner_requests.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), unique=True)
    purpose: Mapped[str] = mapped_column(String(SHORT))
    input: Mapped[dict[str, Any]]
    output: Mapped[dict[str, Any]]
    rules_version: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(SHORT))
    decisive: Mapped[str] = mapped_column(String(SHORT))
    decided_on: Mapped[date]
    decided_by: Mapped[str] = mapped_column(String(NAME))
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    lead_decision: Mapped[str] = mapped_column(String(SHORT))
    """``follow`` or ``depart``."""
    lead_reason: Mapped[str | None] = mapped_column(Text)
    confidentiality_basis: Mapped[str | None] = mapped_column(String(NAME))
    """How the output meets the duty of confidentiality (its ``basis.confidentiality`` provision id),
    copied from the output when recorded; None when the decision found no basis to share."""
    awaits_advice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The input asks an IG adviser and awaits the answer (``ig_advice`` given, ``supports_sharing``
    null), copied from the input when recorded. Whether the answer has since come is the Caldicott
    log's to say."""


class DisclosureRow(Base):
    __tablename__ = "disclosures"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(NAME))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    method: Mapped[str] = mapped_column(String(SHORT))
    marking: Mapped[str] = mapped_column(String(SHORT))
    items: Mapped[list[Any]]
    """Released items as disclosed: id, description, category and a snapshot of the content."""
    disclosed_on: Mapped[date]
    disclosed_by: Mapped[str] = mapped_column(String(NAME))
    consent_withdrawn_on: Mapped[date | None]
    """Set when consent is later withdrawn, so the recipient can be told (UK GDPR Art 7(3))."""
    undelivered_on: Mapped[date | None]
    """The day the secure email carrying it failed for good (refused, out of attempts, or withheld
    because its decision no longer stood): the recipient never had it. Kept, not deleted, as the
    attempt is part of the record; cleared when the message is tried again (migration 0009)."""
    answers_request: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Its secure email is what its decision's partner request stands answered by (set when queuing
    it answered the request), so that if the message never arrives the request opens again. At most
    one disclosure per request, and only while the request is answered (migration 0009)."""


class CaldicottLogRow(Base):
    __tablename__ = "caldicott_log"
    __table_args__ = (
        # One answer from the queue per assessment, held by the database (migration 0005).
        Index(
            CALDICOTT_ANSWER_INDEX,
            "assessment_id",
            unique=True,
            sqlite_where=text("answers"),
            postgresql_where=text("answers"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), index=True)
    """The assessment the entry is about, one of its case's own."""
    answers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The adviser's answer from the queue, which takes the assessment out of it."""
    supports_sharing: Mapped[bool | None] = mapped_column(Boolean)
    """An answer's verdict (None on an entry that answers nothing): against, and the assessment it
    answers no longer authorises sharing (``services.authority``)."""
    question: Mapped[str] = mapped_column(Text)
    adviser: Mapped[str] = mapped_column(String(NAME))
    adviser_role: Mapped[str] = mapped_column(String(SHORT))
    advice: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    logged_on: Mapped[date]


class DataSharingAgreementRow(Base):
    __tablename__ = "data_sharing_agreements"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner: Mapped[str] = mapped_column(String(NAME), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    references_prevent: Mapped[bool] = mapped_column(Boolean)
    signed_by_siro: Mapped[str | None] = mapped_column(String(NAME))
    signed_on: Mapped[date | None]
    starts_on: Mapped[date]
    review_on: Mapped[date]
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class AuditEventRow(Base):
    """Append-only, hash-chained. ``prev_hash`` is unique, so two events can never fork the chain."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(NAME))
    event: Mapped[str] = mapped_column(String(NAME))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entity: Mapped[str | None] = mapped_column(String(NAME))
    digest: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class UserRow(Base):
    """A local account. Passwords are argon2 hashes; every role has a TOTP second factor."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME))
    role: Mapped[str] = mapped_column(String(SHORT))
    password_hash: Mapped[str] = mapped_column(String(NAME))
    totp_secret: Mapped[str] = mapped_column(String(SHORT))
    active: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_code_step: Mapped[int | None] = mapped_column(Integer)
    """The time step of the last one-time code accepted: a code of that step or an earlier one is
    refused, so each code signs in once (RFC 6238, 5.2)."""


class WebSessionRow(Base):
    """A signed-in browser. Only a hash of the cookie's token is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    second_factor_done: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)


class NotificationRow(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_role: Mapped[str] = mapped_column(String(SHORT), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class ContactRow(Base):
    """Who to go to: the Prevent lead, DPO, Caldicott guardian, SIRO, IG team."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(SHORT))
    name: Mapped[str] = mapped_column(String(NAME))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(SHORT))


class AccreditedDomainRow(Base):
    """A DCB1596-accredited secure email domain; the engine's configuration reads this register."""

    __tablename__ = "accredited_domains"
    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(NAME), unique=True)
    organisation: Mapped[str] = mapped_column(String(NAME))
    expires_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(SHORT))
    added_on: Mapped[date]


class ReferralAnswersRow(Base):
    """What the lead adds to a referral beyond the case records, keyed by the form's own field ids.

    The national form changes between versions, so answers are kept as data against the form version
    they were given for, not as one column per question.
    """

    __tablename__ = "referral_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    form_version: Mapped[str] = mapped_column(String(SHORT))
    answers: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(NAME))


class DocumentRow(Base):
    """A document prevent-ig issued: its reference, what it was built from and a hash of its bytes.

    The bytes themselves are not kept here (a sent document survives inside its outbox message), so
    the register proves what was issued without holding a second copy of the personal data.
    """

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(SHORT), unique=True)
    kind: Mapped[str] = mapped_column(String(SHORT))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    template: Mapped[str] = mapped_column(String(NAME))
    media_type: Mapped[str] = mapped_column(String(SHORT))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    issued_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(NAME))


class OutboxMessageRow(Base):
    """A message waiting for, or past, delivery: the transactional outbox.

    The complete RFC 5322 bytes are fixed when the message is queued, Message-ID included, so every
    attempt sends the same message and a repeat after a crash can be recognised by the recipient.
    ``claim_token`` and ``claimed_until`` are a worker's lease: a worker that dies mid-send loses the
    lease when it expires, and another worker sends the message again (delivery is at least once).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(NAME), unique=True)
    kind: Mapped[str] = mapped_column(String(SHORT))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    disclosure_id: Mapped[int | None] = mapped_column(ForeignKey("disclosures.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    envelope_from: Mapped[str] = mapped_column(String(320))
    envelope_to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(NAME))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(SHORT))
    """``queued``, ``sending``, ``sent``, ``failed`` (permanently; shown on the dashboard) or
    ``replaced`` (failed, then sent again as a new message carrying the same disclosure)."""
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    worker: Mapped[str | None] = mapped_column(String(NAME))
    last_error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    queued_by: Mapped[str] = mapped_column(String(NAME))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime)


class RequestDraftRow(Base):
    """A partner's request email, imported and waiting for the lead to complete it as a request."""

    __tablename__ = "request_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(SHORT), index=True)
    """``draft``, ``completed`` or ``discarded``."""
    sender_address: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(NAME))
    sender_domain: Mapped[str] = mapped_column(String(NAME))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    secure_domain: Mapped[bool] = mapped_column(Boolean)
    marking: Mapped[str | None] = mapped_column(String(SHORT))
    proposed_secure_channel: Mapped[bool] = mapped_column(Boolean)
    imported_on: Mapped[date]
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    imported_by: Mapped[str] = mapped_column(String(NAME))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("partner_requests.id"))


class RequestAttachmentRow(Base):
    """A file that came with a request email, kept as received and never opened by prevent-ig."""

    __tablename__ = "request_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("request_drafts.id"), index=True)
    filename: Mapped[str] = mapped_column(String(NAME))
    content_type: Mapped[str] = mapped_column(String(NAME))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
