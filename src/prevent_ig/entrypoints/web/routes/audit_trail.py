"""Journey 9: the auditor's view — the chain's verification status, its head for anchoring, and the
audit trail of one case (time, actor, event, entity: never personal data). Reading it is audited.
"""

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Permission
from prevent_ig.domain.records.audit_chain import Anchor, Verification
from prevent_ig.entrypoints.web.auth import MAX_ID, PermissionRouter, records_of, user_of
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.audit import chain_head, verify

router = PermissionRouter()
TRAIL_LIMIT = 2000
"""At most this many of a case's events are shown, the most recent ones."""


@dataclass(frozen=True, slots=True)
class TrailEvent:
    seq: int
    at: str
    """UTC, for reading: 26 Nov 2026, 09:00:00."""
    actor: str
    event: str
    entity: str | None


@router.page("/audit", permission=Permission.AUDIT_VIEW)
async def audit_page(request: Request, anchor: str = "") -> Response:
    errors: dict[str, dict[str, str]] = {}
    parsed: Anchor | None = None
    if anchor.strip():
        try:
            parsed = Anchor.parse(anchor.strip())
        except ValueError as error:
            errors["anchor"] = {"text": as_sentence(str(error)), "href": "#anchor"}
    with records_of(request).new_unit_of_work() as uow:
        uow.audit.record(actor=user_of(request).username, event="audit:chain:verify")
        status = verify(uow=uow)
        count, head = chain_head(uow=uow)
        anchored: Verification | None = verify(uow=uow, anchor=parsed) if parsed is not None else None
        uow.commit()
    return render(
        request,
        "audit/index.html",
        status_code=400 if errors else 200,
        errors=list(errors.values()),
        field_errors=errors,
        status=status,
        count=count,
        head=head,
        anchor=anchor.strip(),
        anchored=anchored,
    )


@router.page("/audit/trail", permission=Permission.AUDIT_VIEW)
async def trail_page(request: Request, case_id: str = "") -> Response:
    text = case_id.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        message = (
            "Enter a case number, like 12"
            if not text
            else "Enter a case number using digits only, like 12"
            if not (text.isascii() and text.isdigit())
            else f"Enter a case number from 1 to {MAX_ID}"
        )
        error = {"text": message, "href": "#case_id"}
        return render(
            request,
            "audit/trail.html",
            status_code=400,
            errors=[error],
            field_errors={"case_id": error},
            case_id=text,
            events=None,
            total=0,
        )
    with records_of(request).new_unit_of_work() as uow:
        events, total = _case_trail(uow, actor=user_of(request).username, case_id=int(text))
    return render(
        request,
        "audit/trail.html",
        errors=[],
        field_errors={},
        case_id=text,
        events=events,
        total=total,
        limit=TRAIL_LIMIT,
    )


def _case_trail(uow: UnitOfWork, *, actor: str, case_id: int) -> tuple[list[TrailEvent], int]:
    """A case's events, oldest first (the most recent ``TRAIL_LIMIT``), and how many there are.

    The read is itself recorded (``audit:trail:view``), in the same transaction and before the
    events are read, so the trail shows the auditor's own look at it.
    """
    uow.audit.record(actor=actor, event="audit:trail:view", case_id=case_id, entity=f"case:{case_id}")
    total = uow.session.scalar(select(func.count()).where(AuditEventRow.case_id == case_id)) or 0
    rows = uow.session.execute(
        select(
            AuditEventRow.seq,
            AuditEventRow.at,
            AuditEventRow.actor,
            AuditEventRow.event,
            AuditEventRow.entity,
        )
        .where(AuditEventRow.case_id == case_id)
        .order_by(AuditEventRow.seq.desc())
        .limit(TRAIL_LIMIT)
    )
    events = [
        TrailEvent(seq=r.seq, at=_readable(r.at), actor=r.actor, event=r.event, entity=r.entity) for r in rows
    ]
    uow.commit()
    return list(reversed(events)), total


def _readable(at: str) -> str:
    """The stored UTC time for reading; an unreadable value (a tampered row) is shown as stored."""
    try:
        return datetime.fromisoformat(at).strftime("%-d %b %Y, %H:%M:%S")
    except ValueError:
        return at
