"""The Prevent lead's dashboard: what is due, what is waiting, where the caseload stands, and the lead
team's notifications (new concerns, advice recorded, mail that could not be delivered) until a lead
dismisses them."""

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from prevent_ig.adapters.records.tables import AssessmentRow, CaseRow, NotificationRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Role
from prevent_ig.domain.calendar.working_days import WorkingDayCalendar
from prevent_ig.domain.pathway.stages import Stage
from prevent_ig.services import views
from prevent_ig.services.advice import awaiting_advice
from prevent_ig.services.authority import standing
from prevent_ig.services.cases import due_items
from prevent_ig.services.errors import NotFoundError

DUE_WINDOW_WORKING_DAYS = 10
LEAD_INBOX = Role.PREVENT_LEAD.value
"""Notifications go to a role, so the Prevent leads share one inbox; the audit trail says who dismissed."""
NOTIFICATIONS_SHOWN = 20


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
    """(id, case id, message) of the newest unread notifications, at most NOTIFICATIONS_SHOWN."""
    notifications_unread: int
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
    unread = (NotificationRow.recipient_role == LEAD_INBOX, NotificationRow.read_at.is_(None))
    notes = [
        (n.id, n.case_id, n.message)
        for n in uow.session.scalars(
            select(NotificationRow)
            .where(*unread)
            .order_by(NotificationRow.id.desc())
            .limit(NOTIFICATIONS_SHOWN)
        )
    ]
    notes_unread = len(notes)
    if notes_unread == NOTIFICATIONS_SHOWN:
        notes_unread = (
            uow.session.scalar(select(func.count()).select_from(NotificationRow).where(*unread)) or 0
        )
    uow.commit()
    due = due_items(
        uow=uow, actor=actor, today=today, within_working_days=DUE_WINDOW_WORKING_DAYS, calendar=calendar
    )
    return Dashboard(
        due=due,
        by_stage=by_stage,
        awaiting_advice=awaiting,
        notifications=notes,
        notifications_unread=notes_unread,
        decisions_by_basis=[
            BasisCount(provision_id=provision, outcome=outcome, count=count)
            for (provision, outcome), count in sorted(
                basis_counts.items(), key=lambda item: (item[0][0] is None, item[0])
            )
        ],
    )


def dismiss_notifications(*, uow: UnitOfWork, actor: str, notification_id: int | None) -> int:
    """Mark one of the lead team's notifications, or with None every unread one, as dealt with; how
    many were. Dismissing one already dismissed changes nothing and is not an error (two leads may
    clear the same inbox at once)."""
    unread = [NotificationRow.recipient_role == LEAD_INBOX, NotificationRow.read_at.is_(None)]
    if notification_id is not None:
        found = uow.session.get(NotificationRow, notification_id)
        if found is None or found.recipient_role != LEAD_INBOX:
            raise NotFoundError(f"notification {notification_id} does not exist")
        unread.append(NotificationRow.id == notification_id)
    marked = update(NotificationRow).where(*unread).values(read_at=uow.now().replace(tzinfo=None))
    # The rows this statement changed, not those read before it: two leads clearing the inbox at once
    # dismiss each notification once between them.
    dismissed: int = cast(CursorResult[Any], uow.session.execute(marked)).rowcount
    if dismissed:
        uow.audit.record(
            actor=actor,
            event="notification:dismiss",
            entity=f"notification:{notification_id}" if notification_id is not None else "notifications:all",
            change={"dismissed": dismissed},
        )
    uow.commit()
    return dismissed
