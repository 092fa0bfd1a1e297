"""Reading the Caldicott log: the record of advice from the IG team, DPO or Caldicott guardian.

The guidance (§2) asks that advice sought on a sharing decision be kept in a Caldicott log. Entries
are written by ``services.governance`` (by hand, or from the CLI) and ``services.advice`` (the
adviser's queue); here they are read back, for the case page (the Prevent lead reassesses with the
advice in front of them) and for the log as a whole (advisers, the SIRO and auditors).

An entry is tied to the assessment it is about by a column (``assessment_id``, always one of its
case's own, checked when it is written), and ``answers`` marks the adviser's answer from the queue
(``services.advice``), which takes the decision out of it; an entry the lead logged from the decision's
draft (``prevent-ig documents caldicott N --log``) may only say advice is awaited, and answers nothing.
Its question still names the assessment in words, so the log reads well printed on its own.

Entries belong to cases and their advice is free text about a case, so reading the whole log leaves
an audit event on every case it shows, and the auditor finds the read in each case's trail.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Row, bindparam, func, select

from prevent_ig.adapters.records.tables import CaldicottLogRow, table_of
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.services.errors import InvalidFieldError
from prevent_ig.services.views import CaldicottEntryView

_log = table_of(CaldicottLogRow)
_SHOWN = [_log.c[name] for name in CaldicottEntryView.model_fields]
_CASE: BindParameter[int] = bindparam("case_id")
OF_CASE = select(*_SHOWN).where(_log.c.case_id == _CASE).order_by(_log.c.logged_on, _log.c.id)
"""A case's entries, oldest first; run with ``{"case_id": ...}`` (part of every case view)."""
_NEWEST_FIRST = (_log.c.logged_on.desc(), _log.c.id.desc())


def entry_view(row: Row[Any]) -> CaldicottEntryView:
    return CaldicottEntryView(**row._mapping)


PAGE_SIZE = 50
"""Entries on one page of the log: years of advice would otherwise be one page, and reading it would
leave an audit event on every case ever advised on."""


@dataclass(frozen=True, slots=True)
class LogPage:
    entries: list[CaldicottEntryView]
    """Newest first."""
    page: int
    pages: int
    """At least 1, so an empty log is page 1 of 1."""
    total: int
    first: int
    """The place in the log of the page's first entry, counting from 1 (newest first)."""


def read_log(*, uow: UnitOfWork, actor: str, page: int = 1, per_page: int = PAGE_SIZE) -> LogPage:
    """One page of the log, newest first. The read is audited once for the log and once for each case
    the page shows, so each case's own trail records who read the advice about it."""
    # The page and the count of the whole log in one statement, so that they agree even while entries
    # are being added (reads here see no snapshot shared between statements on PostgreSQL).
    paged = select(*_SHOWN, func.count().over().label("in_log")).order_by(*_NEWEST_FIRST)
    rows = uow.session.execute(paged.limit(per_page).offset((page - 1) * per_page)).all() if page >= 1 else []
    total = rows[0].in_log if rows else uow.session.scalar(select(func.count()).select_from(_log)) or 0
    pages = max(1, -(-total // per_page))
    if not 1 <= page <= pages:
        raise InvalidFieldError("page", f"must be from 1 to {pages}")
    entries = [CaldicottEntryView(**{k: v for k, v in row._mapping.items() if k != "in_log"}) for row in rows]
    uow.audit.record(actor=actor, event="governance:caldicott:list", entity=f"caldicott:log:page:{page}")
    for case_id in sorted({entry.case_id for entry in entries if entry.case_id is not None}):
        uow.audit.record(
            actor=actor, event="governance:caldicott:view", case_id=case_id, entity="caldicott:log"
        )
    uow.commit()
    return LogPage(entries=entries, page=page, pages=pages, total=total, first=(page - 1) * per_page + 1)
