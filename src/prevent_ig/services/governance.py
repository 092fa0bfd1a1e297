"""Governance registers: the Caldicott log and data sharing agreements (guidance §2 and §5)."""

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prevent_ig.adapters.records.tables import (
    CALDICOTT_ANSWER_INDEX,
    AssessmentRow,
    CaldicottLogRow,
    DataSharingAgreementRow,
)
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.law.vocabulary import AdviserRole
from prevent_ig.services.cases import require_case
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError


@dataclass(frozen=True, slots=True, kw_only=True)
class CaldicottEntry:
    question: str
    adviser: str
    adviser_role: AdviserRole
    advice: str
    decision: str
    case_id: int | None = None
    assessment_id: int | None = None
    """The assessment the entry is about: one of ``case_id``'s own."""
    answers: bool = False
    """The adviser's answer from the queue (``services.advice``), which takes the assessment out of it."""
    supports_sharing: bool | None = None
    """An answer's verdict; only an answer has one."""


def log_caldicott_advice(*, uow: UnitOfWork, actor: str, entry: CaldicottEntry, on: date) -> int:
    for name in ("question", "adviser", "advice", "decision"):
        if not getattr(entry, name).strip():
            raise InvalidFieldError(name, "must not be blank")
    if entry.case_id is not None:
        require_case(uow, entry.case_id)
    if entry.assessment_id is not None:
        of_case = uow.session.scalar(
            select(AssessmentRow.case_id).where(AssessmentRow.id == entry.assessment_id)
        )
        if of_case is None or of_case != entry.case_id:
            raise InvalidFieldError("assessment_id", f"is not an assessment of case {entry.case_id}")
    elif entry.answers:
        raise InvalidFieldError("assessment_id", "an answer from the queue must name its assessment")
    row = CaldicottLogRow(**{**asdict(entry), "adviser_role": entry.adviser_role.value}, logged_on=on)
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError as error:
        if not (entry.answers and _is_second_answer(error)):
            raise
        # Another adviser's answer was committed first (the unique index on answers, migration 0005).
        raise RefusedError(
            f"advice on assessment {entry.assessment_id} is already in the Caldicott log"
        ) from None
    uow.audit.record(
        actor=actor,
        event="governance:caldicott:create",
        case_id=entry.case_id,
        entity=f"caldicott:{row.id}",
        change=asdict(entry),
    )
    uow.commit()
    return row.id


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAgreement:
    partner: str
    purpose: str
    references_prevent: bool
    starts_on: date
    review_on: date
    expires_on: date


def record_agreement(*, uow: UnitOfWork, actor: str, agreement: NewAgreement) -> int:
    if not (agreement.starts_on <= agreement.review_on <= agreement.expires_on):
        raise InvalidFieldError("review_on", "dates must run start ≤ review ≤ expiry")
    uow.audit.serialise()
    same_dates = select(DataSharingAgreementRow).where(
        DataSharingAgreementRow.starts_on == agreement.starts_on,
        DataSharingAgreementRow.review_on == agreement.review_on,
        DataSharingAgreementRow.expires_on == agreement.expires_on,
        DataSharingAgreementRow.references_prevent == agreement.references_prevent,
    )
    for earlier in uow.session.scalars(same_dates):
        if same_words(earlier.partner, agreement.partner) and same_words(earlier.purpose, agreement.purpose):
            # The form posted twice (a double click, or Back and Send again): one agreement, not two.
            raise InvalidFieldError(
                "partner", f"this agreement is already in the register (agreement {earlier.id})"
            )
    row = DataSharingAgreementRow(**asdict(agreement))
    uow.session.add(row)
    uow.session.flush()
    uow.audit.record(
        actor=actor, event="governance:dsa:create", entity=f"dsa:{row.id}", change=asdict(agreement)
    )
    uow.commit()
    return row.id


def same_words(first: str, second: str) -> bool:
    """Equal but for case and the spacing around and between words."""
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()


def sign_agreement(*, uow: UnitOfWork, actor: str, agreement_id: int, siro: str, on: date) -> None:
    """The SIRO signs on behalf of the organisation (guidance §5)."""
    row = uow.session.get(DataSharingAgreementRow, agreement_id)
    if row is None:
        raise NotFoundError(f"data sharing agreement {agreement_id} does not exist")
    if row.signed_on is not None:
        raise RefusedError(f"agreement {agreement_id} was already signed on {row.signed_on}")
    if not row.references_prevent:
        raise RefusedError("agreements signed for this organisation must refer to Prevent (guidance)")
    row.signed_by_siro = siro
    row.signed_on = on
    uow.audit.record(
        actor=actor, event="governance:dsa:sign", entity=f"dsa:{row.id}", change={"siro": siro, "on": on}
    )
    uow.commit()


def _is_second_answer(error: IntegrityError) -> bool:
    """Whether the write broke the one-answer-per-assessment index, not some other constraint of the
    same flush (which is a fault to report, not a refusal). PostgreSQL names the constraint; SQLite
    names the column of the only unique index on it."""
    cause = error.orig
    diagnosis = getattr(cause, "diag", None)
    if diagnosis is not None and getattr(diagnosis, "constraint_name", None) is not None:
        return bool(diagnosis.constraint_name == CALDICOTT_ANSWER_INDEX)
    return "caldicott_log.assessment_id" in str(cause)
