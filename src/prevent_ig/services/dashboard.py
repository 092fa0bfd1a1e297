"""The Prevent lead's dashboard: what is due, what is waiting, where the caseload stands."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AssessmentRow, CaseRow, NotificationRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.pathway.stages import Stage
from prevent_ig.services import views
from prevent_ig.services.advice import awaiting_advice, standing
from prevent_ig.services.cases import due_items

DUE_WINDOW_WORKING_DAYS = 10


@dataclass(frozen=True, slots=True)
class BasisCount:
    """How many standing decisions rest on one confidentiality basis; for decisions that found no basis
    to share, ``provision_id`` is None and ``outcome`` says what the engine asked for instead."""

    provision_id: str | None
    outcome: str | None
    count: int


@dataclass(frozen=True)
class Dashboard:
    due: list[views.DueItem]
    by_stage: list[tuple[str, int]]
    awaiting_advice: list[tuple[int, int, str]]
    """(assessment id, case id, purpose) for recorded decisions whose IG advice is still awaited."""
    notifications: list[tuple[int, int | None, str]]
    decisions_by_basis: list[BasisCount]
    """Bases first (by provision id), then the decisions with none (by outcome)."""


def lead_dashboard(*, uow: UnitOfWork, actor: str, today: date, calendar: WorkingDayCalendar) -> Dashboard:
    grouped = uow.session.execute(select(CaseRow.stage, func.count()).group_by(CaseRow.stage))
    counts: dict[str, int] = {row[0]: row[1] for row in grouped}
    by_stage = [(stage.value, counts.get(stage.value, 0)) for stage in Stage]
    awaiting = sorted((a.id, a.case_id, a.purpose) for a in awaiting_advice(uow))
    grouped_bases = uow.session.execute(
        select(AssessmentRow.confidentiality_basis, AssessmentRow.outcome, func.count())
        .where(standing())
        .group_by(AssessmentRow.confidentiality_basis, AssessmentRow.outcome)
    )
    basis_counts: dict[tuple[str | None, str | None], int] = {}
    for provision, outcome, count in grouped_bases:
        key = (provision, None) if provision else (None, outcome)
        basis_counts[key] = basis_counts.get(key, 0) + count
    notes = [
        (n.id, n.case_id, n.message)
        for n in uow.session.scalars(
            select(NotificationRow)
            .where(NotificationRow.recipient_role == "prevent_lead", NotificationRow.read_at.is_(None))
            .order_by(NotificationRow.id.desc())
            .limit(20)
        )
    ]
    uow.commit()
    due = due_items(
        uow=uow, actor=actor, today=today, within_working_days=DUE_WINDOW_WORKING_DAYS, calendar=calendar
    )
    return Dashboard(
        due=due,
        by_stage=by_stage,
        awaiting_advice=awaiting,
        notifications=notes,
        decisions_by_basis=[
            BasisCount(provision_id=provision, outcome=outcome, count=count)
            for (provision, outcome), count in sorted(
                basis_counts.items(), key=lambda item: (item[0][0] is None, item[0])
            )
        ],
    )
