"""Governance registers: the Caldicott log and data sharing agreements (guidance §2 and §5)."""

from dataclasses import asdict, dataclass
from datetime import date

from prevent_ig.adapters.records.tables import CaldicottLogRow, DataSharingAgreementRow
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


def log_caldicott_advice(*, uow: UnitOfWork, actor: str, entry: CaldicottEntry, on: date) -> int:
    for name in ("question", "adviser", "advice", "decision"):
        if not getattr(entry, name).strip():
            raise InvalidFieldError(name, "must not be blank")
    if entry.case_id is not None:
        require_case(uow, entry.case_id)
    row = CaldicottLogRow(**{**asdict(entry), "adviser_role": entry.adviser_role.value}, logged_on=on)
    uow.session.add(row)
    uow.session.flush()
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
    row = DataSharingAgreementRow(**asdict(agreement))
    uow.session.add(row)
    uow.session.flush()
    uow.audit.record(
        actor=actor, event="governance:dsa:create", entity=f"dsa:{row.id}", change=asdict(agreement)
    )
    uow.commit()
    return row.id


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
