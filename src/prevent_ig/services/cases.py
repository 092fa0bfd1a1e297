"""Use cases for raising, reading and listing cases. Every read of case data is audited."""

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import BindParameter, Row, Select, Table, bindparam, func, select

from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    CaseEventRow,
    CaseRow,
    ClarificationRow,
    ConsentRow,
    DisclosureRow,
    NotificationRow,
    PartnerRequestRow,
    SubjectRow,
    table_of,
)
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Permission, Role, allows, may_view_case
from prevent_ig.domain.calendar.england_date import date_in_england
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.law.vocabulary import SubjectRole
from prevent_ig.domain.pathway.deadlines import DueKind
from prevent_ig.domain.pathway.machine import allowed_moves
from prevent_ig.domain.pathway.request_clock import is_overdue
from prevent_ig.domain.pathway.stages import Stage
from prevent_ig.domain.records.nhs_number import InvalidNhsNumberError, normalise_nhs_number
from prevent_ig.services import caldicott_log, views
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
    record_case_step(
        uow,
        case_id=case.id,
        on=on,
        actor=actor,
        kind="concern_raised",
        summary="Concern raised and passed to the Prevent lead.",
        to_stage=Stage.CONCERN_RAISED,
        event="case:subject:create",
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


def record_case_step(
    uow: UnitOfWork,
    *,
    case_id: int,
    on: date,
    actor: str,
    kind: str,
    summary: str,
    event: str,
    entity: str,
    change: dict[str, Any] | None = None,
    from_stage: Stage | None = None,
    to_stage: Stage | None = None,
) -> None:
    """A step in a case's life, recorded twice in the use case's transaction: in the timeline, which
    people read, and in the audit chain, which proves who did it (its ``change`` only as a digest)."""
    add_timeline(
        uow,
        case_id=case_id,
        on=on,
        actor=actor,
        kind=kind,
        summary=summary,
        from_stage=from_stage,
        to_stage=to_stage,
    )
    uow.audit.record(actor=actor, event=event, case_id=case_id, entity=entity, change=change)


def check_step_date(uow: UnitOfWork, on: date, *, earliest: date | None = None, since: str = "") -> None:
    """A step is dated from what it follows (``earliest``, the day ``since`` happened) to today in
    England: dated ahead, it would start its deadlines from a day not yet come; dated before what it
    follows, the record would show it first."""
    if on > uow.today():
        raise InvalidFieldError("on", "cannot be in the future")
    if earliest is not None and on < earliest:
        raise InvalidFieldError("on", f"cannot be before {earliest}, when {since}")


def date_of_birth(uow: UnitOfWork, case_id: int) -> date:
    """The date of birth of the case's subject, by one indexed read; the case must exist."""
    born: date | None = uow.session.scalar(_BORN, {"case_id": case_id})
    if born is None:
        raise NotFoundError(f"case {case_id} does not exist")
    return born


def require_case(uow: UnitOfWork, case_id: int) -> None:
    """That the case exists, for use cases that only attach a record to it: one indexed read, no row
    loaded into the session."""
    if uow.session.execute(_CASE_ID, {"case_id": case_id}).first() is None:
        raise NotFoundError(f"case {case_id} does not exist")


def get_case_row(uow: UnitOfWork, case_id: int, *, for_update: bool = False) -> CaseRow:
    """The case row; ``for_update`` locks it until commit so two writers cannot both act on one version."""
    case = uow.session.get(CaseRow, case_id, with_for_update={"of": CaseRow} if for_update else None)
    if case is None:
        raise NotFoundError(f"case {case_id} does not exist")
    return case


def view_case(*, uow: UnitOfWork, actor: str, case_id: int, role: Role | None) -> views.CaseDetail:
    """The whole case, its read audited. ``role`` is the viewer's, and brings the rule of who may see
    which case (``may_view_case``) with it; ``None`` only for the server's own operator (the CLI).

    A case the viewer may not see answers exactly as a case that does not exist, so ids cannot be
    probed; the refused attempt is audited (``case:record:refuse``), never recorded as a view."""
    case = uow.session.execute(_CASE_WITH_SUBJECT, {"case_id": case_id}).first()
    if case is None:
        raise NotFoundError(f"case {case_id} does not exist")
    if role is not None and not may_view_case(role, actor=actor, raised_by=case.raised_by):
        uow.audit.record(actor=actor, event="case:record:refuse", case_id=case.id, entity=f"case:{case.id}")
        uow.commit()
        raise NotFoundError(f"case {case_id} does not exist")
    detail = _detail(uow, case, reasoning=role is None or allows(role, Permission.CASE_VIEW_ALL))
    uow.audit.record(actor=actor, event="case:record:view", case_id=case.id, entity=f"case:{case.id}")
    uow.commit()
    return detail


# A case view runs these on every read. Built once, each runs from SQLAlchemy's compiled cache; written
# against the tables (Core), not the mapped classes, they skip the ORM's loading machinery (about half
# the cost of each read, measured).
_CASE: BindParameter[int] = bindparam("case_id")
_consents, _requests, _clarifications = (
    table_of(ConsentRow),
    table_of(PartnerRequestRow),
    table_of(ClarificationRow),
)
_assessments, _disclosures, _events = table_of(AssessmentRow), table_of(DisclosureRow), table_of(CaseEventRow)


def _of_case(
    table: Table, view: type[views.View], *, derived: tuple[str, ...] = (), also: tuple[Any, ...] = ()
) -> Select[Any]:
    """One table's rows of the case, in the order they were recorded, with only the columns the view
    shows (less ``derived``, the fields built from other data, plus ``also``): a case's reads load
    nothing they do not return."""
    shown = [table.c[name] for name in view.model_fields if name not in derived]
    return select(*shown, *also).where(table.c.case_id == _CASE).order_by(table.c.id)


_CONSENTS = _of_case(_consents, views.ConsentView)
_REQUESTS = _of_case(_requests, views.RequestView, derived=("clarifications",))
_CLARIFICATIONS = (
    select(
        _clarifications.c.id,
        _clarifications.c.request_id,
        _clarifications.c.sent_on,
        _clarifications.c.missing,
        _clarifications.c.resolved_on,
    )
    .join(_requests, _clarifications.c.request_id == _requests.c.id)
    .where(_requests.c.case_id == _CASE)
    .order_by(_clarifications.c.id)
)
_ASSESSMENTS = _of_case(
    _assessments,
    views.AssessmentView,
    derived=("superseded_by_id", "rationale"),
    # Only the reasoning out of the stored input, not the whole document (JSON path, both databases).
    also=(_assessments.c.input[("grounds", "rationale")].as_string().label("rationale"),),
)
_DISCLOSURES = _of_case(
    _disclosures, views.DisclosureView, derived=("item_ids",), also=(_disclosures.c["items"],)
)
# In the order things happened (the day each step happened, then the order entered), not the order
# entered alone: a move, an answer or a consent is often recorded days after its day.
_TIMELINE = (
    _of_case(_events, views.TimelineEntry, derived=("recorded_on",), also=(_events.c.at,))
    .order_by(None)
    .order_by(_events.c.on, _events.c.id)
)
_cases, _subjects = table_of(CaseRow), table_of(SubjectRow)
_SUBJECT_FIELDS = tuple(views.SubjectView.model_fields)
_CASE_ID = select(_cases.c.id).where(_cases.c.id == _CASE)
_BORN = (
    select(_subjects.c.date_of_birth)
    .join(_cases, _cases.c.subject_id == _subjects.c.id)
    .where(_cases.c.id == bindparam("case_id"))
)
_CASE_WITH_SUBJECT = (
    select(_cases, *(_subjects.c[name].label(f"subject__{name}") for name in _SUBJECT_FIELDS))
    .join(_subjects, _subjects.c.id == _cases.c.subject_id)
    .where(_cases.c.id == _CASE)
)


IG_ADVICE_STEP = "ig_advice"
"""The timeline kind of the note that IG advice arrived (``services.advice``)."""


def _detail(uow: UnitOfWork, case: Row[Any], *, reasoning: bool) -> views.CaseDetail:
    """The case whole, except that without ``reasoning`` (a practitioner looking at a concern they
    raised) the decisions' written reasoning, the lead's reasons, the best interests reasoning on
    consent (for someone who cannot decide: what was decided for them and who was consulted) and the
    IG advice (the log's entries and the timeline's note of each) are left out: those are for the
    people who decide and advise (the permission ``caldicott:view`` guards the same advice in the
    log). A practitioner still sees what was decided, and whether the person could decide."""
    s = uow.session
    by_case = {"case_id": case.id}
    assessments = s.execute(_ASSESSMENTS, by_case).all()
    superseded_by = {a.supersedes_id: a.id for a in assessments if a.supersedes_id}
    withheld = {} if reasoning else {"rationale": None, "lead_reason": None}
    withheld_from_consent = (
        {} if reasoning else {"best_interests_decision": None, "best_interests_consulted": None}
    )
    advice = (
        [caldicott_log.entry_view(entry) for entry in s.execute(caldicott_log.OF_CASE, by_case)]
        if reasoning
        else []
    )
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
        information_request_id=case.information_request_id,
        review_6_due_on=case.review_6_due_on,
        review_12_due_on=case.review_12_due_on,
        next_due_on=case.next_due_on,
        allowed_moves=[m.value for m in allowed_moves(state_of(case))],
        version=case.version,
        subject=views.SubjectView(**{name: case._mapping[f"subject__{name}"] for name in _SUBJECT_FIELDS}),
        consents=[
            views.ConsentView(**{**c._mapping, **withheld_from_consent})
            for c in s.execute(_CONSENTS, by_case)
        ],
        requests=[
            views.RequestView(**r._mapping, clarifications=clarifications.get(r.id, []))
            for r in s.execute(_REQUESTS, by_case)
        ],
        assessments=[
            views.AssessmentView(**{**a._mapping, **withheld}, superseded_by_id=superseded_by.get(a.id))
            for a in assessments
        ],
        disclosures=[
            views.DisclosureView(
                **{k: v for k, v in d._mapping.items() if k != "items"},
                item_ids=[item["id"] for item in d.items],
            )
            for d in s.execute(_DISCLOSURES, by_case)
        ],
        ig_advice=advice,
        timeline=[
            views.TimelineEntry(
                **{k: v for k, v in e._mapping.items() if k != "at"}, recorded_on=_day_in_england(e.at)
            )
            for e in s.execute(_TIMELINE, by_case)
            if reasoning or e.kind != IG_ADVICE_STEP
        ],
    )


def _day_in_england(stored: datetime) -> date:
    """Times are stored in UTC without a zone (``add_timeline``); a record's days are days in England."""
    return date_in_england(stored.replace(tzinfo=UTC))


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


def next_deadline(case: views.CaseDetail) -> tuple[date, int | None] | None:
    """The case's next deadline, its own or an open partner request's (with that request's id), as
    the case list and the due list judge it: a page that showed only the case's own date would say
    "nothing due" beside a request due today."""
    due: list[tuple[date, int | None]] = [
        (r.due_on, r.id) for r in case.requests if r.status in OPEN_REQUEST_STATUSES
    ]
    if case.next_due_on is not None:
        due.append((case.next_due_on, None))
    return min(due, key=lambda d: (d[0], d[1] is not None)) if due else None


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
_DUE_LIST = TypeAdapter(list[views.DueItem])
_DUE_CASES = (
    select(_cases.c.id, _cases.c.next_due_on, _cases.c.next_due_kind)
    .where(_cases.c.next_due_on.is_not(None), _cases.c.next_due_on <= _LIMIT)
    .order_by(_cases.c.next_due_on, _cases.c.id)
)
_DUE_REQUESTS = (
    select(_requests.c.id, _requests.c.case_id, _requests.c.due_on)
    .where(_requests.c.status.in_(OPEN_REQUEST_STATUSES), _requests.c.due_on <= _LIMIT)
    .order_by(_requests.c.due_on, _requests.c.id)
)


def due_items(
    *, uow: UnitOfWork, actor: str, today: date, within_working_days: int, calendar: WorkingDayCalendar
) -> list[views.DueItem]:
    """Overdue deadlines first, then those due within the window, each by indexed range query."""
    limit = {"limit": calendar.add_working_days(today, within_working_days)}
    left: dict[date, int] = {}  # many items share a due date; count its working days once

    def due(kind: str, case_id: int, item_id: int | None, due_on: date) -> dict[str, Any]:
        if due_on not in left:
            left[due_on] = calendar.working_days_between(today, due_on)
        return {
            "kind": kind,
            "case_id": case_id,
            "item_id": item_id,
            "due_on": due_on,
            "overdue": is_overdue(due_on, today),
            "working_days_left": left[due_on],
        }

    s = uow.session
    rows = [due(kind, case_id, None, due_on) for case_id, due_on, kind in s.execute(_DUE_CASES, limit).all()]
    request_kind = DueKind.PARTNER_REQUEST.value
    rows += [
        due(request_kind, case_id, request_id, due_on)
        for request_id, case_id, due_on in s.execute(_DUE_REQUESTS, limit).all()
    ]
    found = _DUE_LIST.validate_python(rows)  # one call for the whole list, not one per item
    found.sort(key=lambda item: (item.due_on, item.case_id, item.kind))
    uow.audit.record(actor=actor, event="case:due:view", entity=f"within:{within_working_days}")
    uow.commit()
    return found
