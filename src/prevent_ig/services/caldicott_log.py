"""Reading the Caldicott log: the record of advice from the IG team, DPO or Caldicott guardian.

The guidance (§2) asks that advice sought on a sharing decision be kept in a Caldicott log. Entries
are written by ``services.governance`` (by hand, or from the CLI) and ``services.advice`` (the
adviser's queue); here they are read back, for the case page (the Prevent lead reassesses with the
advice in front of them) and for the log as a whole (advisers, the SIRO and auditors).

An entry names the assessment it answers by starting its question ``Assessment N``; the log reads well
on its own that way, and no column was needed for it.

Entries belong to cases and their advice is free text about a case, so reading the whole log is an
audit event like any other read of case data.
"""

import re
from typing import Any

from sqlalchemy import BindParameter, Row, bindparam, select

from prevent_ig.adapters.records.tables import CaldicottLogRow, table_of
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.services.views import CaldicottEntryView

REFERENCE = re.compile(r"^Assessment (\d+)\b")
"""How a Caldicott entry's question names the assessment it answers."""


def answers_assessment(question: str) -> int | None:
    """The assessment id a Caldicott question refers to, if it starts ``Assessment N``."""
    match = REFERENCE.match(question)
    return int(match.group(1)) if match else None


_log = table_of(CaldicottLogRow)
_SHOWN = [_log.c[name] for name in CaldicottEntryView.model_fields if name != "assessment_id"]
_CASE: BindParameter[int] = bindparam("case_id")
OF_CASE = select(*_SHOWN).where(_log.c.case_id == _CASE).order_by(_log.c.id)
"""A case's entries, oldest first; run with ``{"case_id": ...}`` (part of every case view)."""
_NEWEST_FIRST = select(*_SHOWN).order_by(_log.c.logged_on.desc(), _log.c.id.desc())


def entry_view(row: Row[Any]) -> CaldicottEntryView:
    return CaldicottEntryView(**row._mapping, assessment_id=answers_assessment(row.question))


def read_log(*, uow: UnitOfWork, actor: str) -> list[CaldicottEntryView]:
    """Every entry, newest first; the read is audited, naming no case (it covers them all)."""
    entries = [entry_view(row) for row in uow.session.execute(_NEWEST_FIRST)]
    uow.audit.record(actor=actor, event="governance:caldicott:list", entity="caldicott:log")
    uow.commit()
    return entries
