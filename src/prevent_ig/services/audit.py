"""Reading the audit log for auditors: head, verification, a case's trail and export."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from prevent_ig.adapters.records import audit_log
from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.records.audit_chain import Anchor, Verification, verify_chain


def chain_head(*, uow: UnitOfWork) -> tuple[int, str]:
    return audit_log.head(uow.session)


def verify(*, uow: UnitOfWork, anchor: Anchor | None = None) -> Verification:
    return verify_chain(audit_log.stream_events(uow.session), anchor)


def export(*, uow: UnitOfWork, path: Path) -> int:
    """Write the chain as JSON lines; ``prevent-ig audit verify --file`` checks it offline."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for line in _lines(uow):
            out.write(line)
            count += 1
    return count


def _lines(uow: UnitOfWork) -> Iterator[str]:
    for event in audit_log.stream_events(uow.session):
        yield json.dumps(event.as_dict(), sort_keys=True, ensure_ascii=False) + "\n"


TRAIL_LIMIT = 2000
"""At most this many of a case's events are returned, the most recent ones."""


@dataclass(frozen=True, slots=True)
class TrailEvent:
    seq: int
    at: str
    """UTC, ISO 8601, as stored."""
    actor: str
    event: str
    entity: str | None


@dataclass(frozen=True, slots=True)
class CaseTrail:
    case_id: int
    events: list[TrailEvent]
    """Oldest first: the most recent ``TRAIL_LIMIT`` of them."""
    total: int
    """How many events the case has in all."""


def case_trail(*, uow: UnitOfWork, actor: str, case_id: int) -> CaseTrail:
    """A case's events: time, actor, event and entity, never personal data.

    The read is itself recorded (``audit:trail:view``), in the same transaction and before the events
    are read, so the trail shows the auditor's own look at it. A case that does not exist (or never
    existed) has an empty trail: its id may be in a complaint about a case that was never opened.
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
    events = [TrailEvent(seq=r.seq, at=r.at, actor=r.actor, event=r.event, entity=r.entity) for r in rows]
    uow.commit()
    return CaseTrail(case_id=case_id, events=list(reversed(events)), total=total)
