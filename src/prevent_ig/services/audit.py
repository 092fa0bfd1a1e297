"""Reading the audit log for auditors: head, verification and export."""

import json
from collections.abc import Iterator
from pathlib import Path

from prevent_ig.adapters.records import audit_log
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
