"""The IG adviser's queue: sharing decisions waiting for advice, and recording that advice.

An assessment waits for advice when nothing supersedes it, its input says advice was sought and is
awaited (``ig_advice.supports_sharing`` is null), and no Caldicott log entry answers it yet.

A Caldicott entry answers an assessment when it names it in ``assessment_id`` with ``answers`` set, as
the entries written here do (``services.caldicott_log`` explains the link).
Assessments are never edited: the Prevent lead is told the advice arrived and reassesses with it, and
the new assessment supersedes the old one.

Advisers do not have the all-cases permission, so what they see of a case is only what the question
needs: ids, purpose, the recipient organisation, the information asked about and the engine's
outcome. Never the subject's name or details.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import aliased

from prevent_ig.adapters.records.tables import AssessmentRow, CaldicottLogRow, NotificationRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.consent import ADULT_AGE
from prevent_ig.domain.law.vocabulary import AdviserRole
from prevent_ig.services.authority import standing, superseded_by
from prevent_ig.services.cases import IG_ADVICE_STEP, add_timeline
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.governance import CaldicottEntry, log_caldicott_advice


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemAskedAbout:
    description: str
    category: str
    relevant: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AdviceRequest:
    """One decision waiting for advice, with only what the adviser needs to answer it."""

    assessment_id: int
    case_id: int
    kind: str
    purpose: str
    outcome: str
    decisive: str
    decided_on: date
    decided_by: str
    adviser_role: AdviserRole | None
    """Whom the lead said they asked (DPO, Caldicott guardian or IG team)."""
    recipient_name: str
    recipient_type: str
    consent_status: str
    consent_given_by: str | None = None
    under_18: bool | None = None
    """An age band, not the age: whether consent is the person's own or a parent's turns on it."""
    adult_at_risk: bool | None = None
    has_capacity: bool | None = None
    items: tuple[ItemAskedAbout, ...]
    question: str
    """The question as it goes into the Caldicott log, starting ``Assessment N``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Advice:
    adviser: str
    adviser_role: AdviserRole
    supports_sharing: bool
    advice: str


def advice_queue(*, uow: UnitOfWork, actor: str) -> list[AdviceRequest]:
    """Every decision waiting for advice, newest first. The queue shows what each is about (items,
    recipient, consent), so the read is audited once for the queue and once for each decision it
    shows, against that decision's case, as the Caldicott log's pages are: each case's own trail then
    records who read about it."""
    queue = [_request(row) for row in awaiting_advice(uow)]
    uow.audit.record(actor=actor, event="governance:advice:list")
    for shown in queue:
        uow.audit.record(
            actor=actor,
            event="governance:advice:view",
            case_id=shown.case_id,
            entity=f"assessment:{shown.assessment_id}",
        )
    uow.commit()
    return queue


def awaiting_advice(uow: UnitOfWork) -> list[AssessmentRow]:
    """The assessments waiting for advice, newest first, for the queue and the lead's dashboard: those
    whose input asks for advice (``awaits_advice``, an index of the few), that nothing supersedes and
    that no Caldicott log entry answers yet."""
    answer = aliased(CaldicottLogRow)
    waiting = select(AssessmentRow).where(
        AssessmentRow.awaits_advice,
        standing(),
        ~select(answer.id)
        .where(
            answer.answers, answer.assessment_id == AssessmentRow.id, answer.case_id == AssessmentRow.case_id
        )
        .exists(),
    )
    return list(
        uow.session.scalars(waiting.order_by(AssessmentRow.decided_at.desc(), AssessmentRow.id.desc()))
    )


def view_advice_request(*, uow: UnitOfWork, actor: str, assessment_id: int) -> AdviceRequest:
    """One waiting decision; anything not in the queue is "not found" to an adviser."""
    row = _waiting(uow, assessment_id)
    uow.audit.record(
        actor=actor,
        event="governance:advice:view",
        case_id=row.case_id,
        entity=f"assessment:{row.id}",
    )
    uow.commit()
    return _request(row)


def record_advice(*, uow: UnitOfWork, actor: str, assessment_id: int, advice: Advice, on: date) -> int:
    """Log the advice in the Caldicott log against the case and tell the Prevent lead.

    Returns the Caldicott entry's id. The assessment then leaves the queue.
    """
    if not advice.adviser.strip():
        raise InvalidFieldError("adviser", "enter the adviser's name")
    if not advice.advice.strip():
        raise InvalidFieldError("advice", "enter your advice")
    row = _waiting(uow, assessment_id, lock=True)
    who = _ADVISER_WORDS[advice.adviser_role]
    verdict = "supports sharing" if advice.supports_sharing else "does not support sharing"
    add_timeline(
        uow,
        case_id=row.case_id,
        on=on,
        actor=actor,
        kind=IG_ADVICE_STEP,
        summary=f"IG advice on assessment {row.id} from the {who}: {verdict}. "
        "The Prevent lead reassesses with this advice.",
    )
    uow.session.add(
        NotificationRow(
            recipient_role=Role.PREVENT_LEAD.value,
            case_id=row.case_id,
            message=f"IG advice recorded for assessment {row.id} (case {row.case_id}): {verdict}. "
            "Reassess with it.",
            created_at=uow.now().replace(tzinfo=None),
        )
    )
    return log_caldicott_advice(
        uow=uow,
        actor=actor,
        on=on,
        entry=CaldicottEntry(
            question=_question(row),
            adviser=advice.adviser.strip(),
            adviser_role=advice.adviser_role,
            advice=advice.advice.strip(),
            decision=f"The {who} {verdict}; the Prevent lead reassesses with this advice.",
            case_id=row.case_id,
            assessment_id=row.id,
            answers=True,
            supports_sharing=advice.supports_sharing,
        ),
    )


_ADVISER_WORDS = {
    AdviserRole.DPO: "Data Protection Officer",
    AdviserRole.CALDICOTT_GUARDIAN: "Caldicott guardian",
    AdviserRole.IG_TEAM: "information governance team",
}


def _waiting(uow: UnitOfWork, assessment_id: int, *, lock: bool = False) -> AssessmentRow:
    row = uow.session.get(AssessmentRow, assessment_id, with_for_update=lock)
    missing = NotFoundError(f"assessment {assessment_id} is not waiting for advice")
    if row is None or not row.awaits_advice:
        raise missing
    if (superseded := superseded_by(uow, row.id)) is not None:
        raise RefusedError(f"assessment {row.id} was superseded by assessment {superseded}")
    answered = select(CaldicottLogRow.id).where(
        CaldicottLogRow.assessment_id == row.id, CaldicottLogRow.answers
    )
    if uow.session.scalar(answered) is not None:
        raise RefusedError(f"advice on assessment {row.id} is already in the Caldicott log")
    return row


def _request(row: AssessmentRow) -> AdviceRequest:
    data = row.input
    recipient = data.get("recipient") or {}
    role = (data.get("ig_advice") or {}).get("adviser_role")
    consent, subject = data.get("consent") or {}, data.get("subject") or {}
    age = subject.get("age")
    return AdviceRequest(
        assessment_id=row.id,
        case_id=row.case_id,
        kind=str(data.get("kind", "")),
        purpose=row.purpose,
        outcome=row.outcome,
        decisive=row.decisive,
        decided_on=row.decided_on,
        decided_by=row.decided_by,
        adviser_role=AdviserRole(role) if role in {r.value for r in AdviserRole} else None,
        recipient_name=str(recipient.get("name", "")),
        recipient_type=str(recipient.get("type", "")),
        consent_status=str(consent.get("status", "")),
        consent_given_by=str(consent["given_by"]) if consent.get("given_by") else None,
        under_18=age < ADULT_AGE if isinstance(age, int) else None,
        adult_at_risk=_flag(subject.get("adult_at_risk")),
        has_capacity=_flag(subject.get("has_capacity")),
        items=tuple(
            ItemAskedAbout(
                description=str(item.get("description", "")),
                category=str(item.get("category", "")),
                relevant=bool(item.get("relevant")),
            )
            for item in data.get("items") or []
        ),
        question=_question(row),
    )


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _question(row: AssessmentRow) -> str:
    data = row.input
    recipient = data.get("recipient") or {}
    items = "; ".join(str(i.get("description", "")) for i in data.get("items") or []) or "nothing listed"
    consent = str((data.get("consent") or {}).get("status", "unknown")).replace("_", " ")
    return (
        f"Assessment {row.id} (case {row.case_id}, {row.purpose.replace('_', ' ')}): "
        f"may we share {items} with {recipient.get('name') or 'the recipient'} "
        f"({str(recipient.get('type', 'other')).replace('_', ' ')})? "
        f"Consent: {consent}. The engine said {row.outcome.replace('_', ' ')} "
        f"({row.decisive.replace('_', ' ')})."
    )
