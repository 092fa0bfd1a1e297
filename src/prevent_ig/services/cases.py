"""Use cases for raising, reading and listing cases. Every read of case data is audited."""

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select

from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    Base,
    CaseEventRow,
    CaseRow,
    ClarificationRow,
    ConsentRow,
    DisclosureRow,
    NotificationRow,
    PartnerRequestRow,
    SubjectRow,
)
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.law.vocabulary import SubjectRole
from prevent_ig.domain.pathway.deadlines import DueKind
from prevent_ig.domain.pathway.machine import allowed_moves
from prevent_ig.domain.pathway.stages import Stage
from prevent_ig.domain.records.nhs_number import InvalidNhsNumberError, normalise_nhs_number
from prevent_ig.services import views
from prevent_ig.services.case_state import state_of
from prevent_ig.services.errors import InvalidFieldError, NotFoundError

ADULT_AGE = 18
OPEN_REQUEST_STATUSES = ("open",)


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSubject:
    role: SubjectRole
    given_name: str
    family_name: str
    date_of_birth: date
    address: str
    nhs_number: str | None = None
    adult_at_risk: bool = False
    has_capacity: bool | None = None
    capacity_assessed_on: date | None = None


def age_on(date_of_birth: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def raise_concern(
    *,
    uow: UnitOfWork,
    actor: str,
    subject: NewSubject,
    concern: str,
    owner: str,
    on: date,
) -> int:
    """Notice, check, share: record the subject and the concern, and hand it to the lead."""
    nhs_number = _checked_subject(subject, on)
    if not concern.strip():
        raise InvalidFieldError("concern", "describe what was noticed")
    now = uow.now().replace(tzinfo=None)
    subject_row = SubjectRow(
        **{**asdict(subject), "role": subject.role.value, "nhs_number": nhs_number}, created_at=now
    )
    uow.session.add(subject_row)
    uow.session.flush()
    case = CaseRow(
        subject_id=subject_row.id,
        owner=owner,
        raised_by=actor,
        concern=concern,
        stage=Stage.CONCERN_RAISED.value,
        opened_on=on,
        version=1,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(case)
    uow.session.flush()
    add_timeline(
        uow,
        case_id=case.id,
        on=on,
        actor=actor,
        kind="concern_raised",
        summary="Concern raised and passed to the Prevent lead.",
        to_stage=Stage.CONCERN_RAISED,
    )
    uow.audit.record(
        actor=actor,
        event="case:subject:create",
        case_id=case.id,
        entity=f"subject:{subject_row.id}",
        change={**asdict(subject), "nhs_number": nhs_number},
    )
    uow.session.add(
        NotificationRow(
            recipient_role=Role.PREVENT_LEAD.value,
            case_id=case.id,
            message=f"New concern raised: case {case.id}.",
            created_at=now,
        )
    )
    uow.audit.record(
        actor=actor,
        event="case:record:create",
        case_id=case.id,
        entity=f"case:{case.id}",
        change={"concern": concern, "owner": owner, "opened_on": on},
    )
    uow.commit()
    return case.id


def _checked_subject(subject: NewSubject, on: date) -> str | None:
    if not subject.given_name.strip() or not subject.family_name.strip():
        raise InvalidFieldError("subject.name", "given and family names are required")
    if subject.date_of_birth > on:
        raise InvalidFieldError("subject.date_of_birth", "cannot be in the future")
    if subject.adult_at_risk and age_on(subject.date_of_birth, on) < ADULT_AGE:
        raise InvalidFieldError("subject.adult_at_risk", "applies only to people aged 18 or over")
    if subject.nhs_number is None or not subject.nhs_number.strip():
        return None
    try:
        return normalise_nhs_number(subject.nhs_number)
    except InvalidNhsNumberError as error:
        raise InvalidFieldError("subject.nhs_number", str(error)) from None


def add_timeline(
    uow: UnitOfWork,
    *,
    case_id: int,
    on: date,
    actor: str,
    kind: str,
    summary: str,
    from_stage: Stage | None = None,
    to_stage: Stage | None = None,
) -> None:
    uow.session.add(
        CaseEventRow(
            case_id=case_id,
            on=on,
            at=uow.now().replace(tzinfo=None),
            actor=actor,
            kind=kind,
            from_stage=from_stage.value if from_stage else None,
            to_stage=to_stage.value if to_stage else None,
            summary=summary,
        )
    )


def get_case_row(uow: UnitOfWork, case_id: int, *, for_update: bool = False) -> CaseRow:
    """The case row; ``for_update`` locks it until commit so two writers cannot both act on one version."""
    case = uow.session.get(CaseRow, case_id, with_for_update={"of": CaseRow} if for_update else None)
    if case is None:
        raise NotFoundError(f"case {case_id} does not exist")
    return case


def view_case(*, uow: UnitOfWork, actor: str, case_id: int) -> views.CaseDetail:
    """The whole case, for a person entitled to see it; the read itself is audited."""
    case = get_case_row(uow, case_id)
    detail = _detail(uow, case)
    uow.audit.record(actor=actor, event="case:record:view", case_id=case.id, entity=f"case:{case.id}")
    uow.commit()
    return detail


def _columns(row: type[Base], view: type[views.View], *, derived: tuple[str, ...] = ()) -> list[Any]:
    """The row's columns that the view shows, so a case's reads load nothing it does not return."""
    return [getattr(row, name) for name in view.model_fields if name not in derived]


# A case view runs these on every read; built once here, each runs from SQLAlchemy's compiled cache.
_CASE: BindParameter[int] = bindparam("case_id")
_CONSENTS = (
    select(*_columns(ConsentRow, views.ConsentView))
    .where(ConsentRow.case_id == _CASE)
    .order_by(ConsentRow.id)
)
_REQUESTS = (
    select(*_columns(PartnerRequestRow, views.RequestView, derived=("clarifications",)))
    .where(PartnerRequestRow.case_id == _CASE)
    .order_by(PartnerRequestRow.id)
)
_CLARIFICATIONS = (
    select(
        ClarificationRow.id,
        ClarificationRow.request_id,
        ClarificationRow.sent_on,
        ClarificationRow.missing,
        ClarificationRow.resolved_on,
    )
    .join(PartnerRequestRow, ClarificationRow.request_id == PartnerRequestRow.id)
    .where(PartnerRequestRow.case_id == _CASE)
    .order_by(ClarificationRow.id)
)
_ASSESSMENTS = (
    select(*_columns(AssessmentRow, views.AssessmentView, derived=("superseded_by_id",)))
    .where(AssessmentRow.case_id == _CASE)
    .order_by(AssessmentRow.id)
)
_DISCLOSURES = (
    select(*_columns(DisclosureRow, views.DisclosureView, derived=("item_ids",)), DisclosureRow.items)
    .where(DisclosureRow.case_id == _CASE)
    .order_by(DisclosureRow.id)
)
_TIMELINE = (
    select(*_columns(CaseEventRow, views.TimelineEntry))
    .where(CaseEventRow.case_id == _CASE)
    .order_by(CaseEventRow.id)
)


def _detail(uow: UnitOfWork, case: CaseRow) -> views.CaseDetail:
    s = uow.session
    by_case = {"case_id": case.id}
    assessments = s.execute(_ASSESSMENTS, by_case).all()
    superseded_by = {a.supersedes_id: a.id for a in assessments if a.supersedes_id}
    clarifications: dict[int, list[dict[str, Any]]] = {}
    for c in s.execute(_CLARIFICATIONS, by_case):
        clarifications.setdefault(c.request_id, []).append(
            {"id": c.id, "sent_on": c.sent_on, "missing": c.missing, "resolved_on": c.resolved_on}
        )
    return views.CaseDetail(
        id=case.id,
        stage=case.stage,
        owner=case.owner,
        raised_by=case.raised_by,
        concern=case.concern,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        closure=case.closure,
        exit_reason=case.exit_reason,
        information_due_on=case.information_due_on,
        review_6_due_on=case.review_6_due_on,
        review_12_due_on=case.review_12_due_on,
        next_due_on=case.next_due_on,
        allowed_moves=[m.value for m in allowed_moves(state_of(case))],
        version=case.version,
        subject=views.SubjectView.model_validate(case.subject, from_attributes=True),
        consents=[
            views.ConsentView.model_validate(c, from_attributes=True) for c in s.execute(_CONSENTS, by_case)
        ],
        requests=[
            views.RequestView(**r._mapping, clarifications=clarifications.get(r.id, []))
            for r in s.execute(_REQUESTS, by_case)
        ],
        assessments=[
            views.AssessmentView(**a._mapping, superseded_by_id=superseded_by.get(a.id)) for a in assessments
        ],
        disclosures=[
            views.DisclosureView(
                **{k: v for k, v in d._mapping.items() if k != "items"},
                item_ids=[item["id"] for item in d.items],
            )
            for d in s.execute(_DISCLOSURES, by_case)
        ],
        timeline=[
            views.TimelineEntry.model_validate(e, from_attributes=True) for e in s.execute(_TIMELINE, by_case)
        ],
    )


def list_cases(
    *,
    uow: UnitOfWork,
    actor: str,
    stage: Stage | None = None,
    owner: str | None = None,
    raised_by: str | None = None,
) -> list[views.CaseSummary]:
    """Each case with its next deadline: its own (information gathering, review) or an open request's."""
    request_due = (
        select(PartnerRequestRow.case_id, func.min(PartnerRequestRow.due_on).label("due_on"))
        .where(PartnerRequestRow.status.in_(OPEN_REQUEST_STATUSES))
        .group_by(PartnerRequestRow.case_id)
        .subquery()
    )
    query = (
        select(CaseRow, request_due.c.due_on)
        .outerjoin(request_due, request_due.c.case_id == CaseRow.id)
        .order_by(CaseRow.id)
    )
    if stage is not None:
        query = query.where(CaseRow.stage == stage.value)
    if owner is not None:
        query = query.where(CaseRow.owner == owner)
    if raised_by is not None:
        query = query.where(CaseRow.raised_by == raised_by)
    summaries = [_summary(case, request_due_on) for case, request_due_on in uow.session.execute(query)]
    uow.audit.record(actor=actor, event="case:list:view", entity=f"stage:{stage.value if stage else 'all'}")
    uow.commit()
    return summaries


def _summary(case: CaseRow, request_due_on: date | None) -> views.CaseSummary:
    due, kind = case.next_due_on, case.next_due_kind
    if request_due_on is not None and (due is None or request_due_on < due):
        due, kind = request_due_on, DueKind.PARTNER_REQUEST.value
    return views.CaseSummary(
        id=case.id,
        stage=case.stage,
        owner=case.owner,
        opened_on=case.opened_on,
        next_due_on=due,
        next_due_kind=kind,
    )


_LIMIT: BindParameter[date] = bindparam("limit")
_DUE_CASES = (
    select(CaseRow.id, CaseRow.next_due_on, CaseRow.next_due_kind)
    .where(CaseRow.next_due_on.is_not(None), CaseRow.next_due_on <= _LIMIT)
    .order_by(CaseRow.next_due_on, CaseRow.id)
)
_DUE_REQUESTS = (
    select(PartnerRequestRow.id, PartnerRequestRow.case_id, PartnerRequestRow.due_on)
    .where(PartnerRequestRow.status.in_(OPEN_REQUEST_STATUSES), PartnerRequestRow.due_on <= _LIMIT)
    .order_by(PartnerRequestRow.due_on, PartnerRequestRow.id)
)


def due_items(
    *, uow: UnitOfWork, actor: str, today: date, within_working_days: int, calendar: WorkingDayCalendar
) -> list[views.DueItem]:
    """Overdue deadlines first, then those due within the window, each by indexed range query."""
    limit = {"limit": calendar.add_working_days(today, within_working_days)}
    left: dict[date, int] = {}  # many items share a due date; count its working days once

    def due(kind: str, case_id: int, item_id: int | None, due_on: date) -> views.DueItem:
        if due_on not in left:
            left[due_on] = calendar.working_days_between(today, due_on)
        return views.DueItem(
            kind=kind,
            case_id=case_id,
            item_id=item_id,
            due_on=due_on,
            overdue=due_on < today,
            working_days_left=left[due_on],
        )

    s = uow.session
    found: list[views.DueItem] = []
    for case_id, due_on, kind in s.execute(_DUE_CASES, limit):
        # Both are non-null: the WHERE clause guarantees it.
        assert due_on is not None
        assert kind is not None
        found.append(due(kind, case_id, None, due_on))
    for request_id, case_id, due_on in s.execute(_DUE_REQUESTS, limit):
        found.append(due(DueKind.PARTNER_REQUEST.value, case_id, request_id, due_on))
    found.sort(key=lambda item: (item.due_on, item.case_id, item.kind))
    uow.audit.record(actor=actor, event="case:due:view", entity=f"within:{within_working_days}")
    uow.commit()
    return found
