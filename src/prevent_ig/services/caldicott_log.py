"""Reading the Caldicott log: the record of advice from the IG team, DPO or Caldicott guardian.

The guidance (§2) asks that advice sought on a sharing decision be kept in a Caldicott log. Entries
are written by ``services.governance`` (by hand, or from the CLI) and ``services.advice`` (the
adviser's queue); here they are read back, for the case page (the Prevent lead reassesses with the
advice in front of them) and for the log as a whole (advisers, the SIRO and auditors).

An entry names its assessment in its question, so the log reads well on its own and no column was
needed: ``Assessment N …`` when the adviser answered from the queue (``services.advice``), which is
what takes a decision out of the queue, and ``Case C, assessment N: …`` when the lead logged the entry
drafted from the decision (``prevent-ig documents caldicott N --log``), which may only say advice is
awaited and so answers nothing.

Entries belong to cases and their advice is free text about a case, so reading the whole log leaves
an audit event on every case it shows, and the auditor finds the read in each case's trail.
"""

import re
from collections.abc import Collection
from typing import Any

from sqlalchemy import BindParameter, Row, bindparam, select

from prevent_ig.adapters.records.tables import CaldicottLogRow, table_of
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.services.views import CaldicottEntryView

REFERENCE = re.compile(r"^Assessment (\d+)\b")
"""How the adviser's answer from the queue names the assessment it answers."""
DRAFTED_REFERENCE = re.compile(r"^Case \d+, assessment (\d+)\b")
"""How an entry drafted from a decision (``domain.documents.letters``) names its assessment."""


def answers_assessment(question: str) -> int | None:
    """The assessment an adviser's answer from the queue answers, if the question starts
    ``Assessment N``."""
    match = REFERENCE.match(question)
    return int(match.group(1)) if match else None


def assessment_named_in(question: str) -> int | None:
    """The assessment an entry is about, in either way of naming it."""
    match = REFERENCE.match(question) or DRAFTED_REFERENCE.match(question)
    return int(match.group(1)) if match else None


_log = table_of(CaldicottLogRow)
_SHOWN = [_log.c[name] for name in CaldicottEntryView.model_fields if name != "assessment_id"]
_CASE: BindParameter[int] = bindparam("case_id")
OF_CASE = select(*_SHOWN).where(_log.c.case_id == _CASE).order_by(_log.c.logged_on, _log.c.id)
"""A case's entries, oldest first; run with ``{"case_id": ...}`` (part of every case view)."""
_NEWEST_FIRST = select(*_SHOWN).order_by(_log.c.logged_on.desc(), _log.c.id.desc())


def entry_view(row: Row[Any], *, of: Collection[int] | None = None) -> CaldicottEntryView:
    """The entry as shown. ``of``, when given, holds the case's own assessments: a question naming
    any other (typed by hand into the CLI, say) links the entry to no assessment rather than to the
    wrong one."""
    named = assessment_named_in(row.question)
    if of is not None and named not in of:
        named = None
    return CaldicottEntryView(**row._mapping, assessment_id=named)


def read_log(*, uow: UnitOfWork, actor: str) -> list[CaldicottEntryView]:
    """Every entry, newest first. The read is audited once for the log and once for each case it
    shows, so each case's own trail records who read the advice about it."""
    entries = [entry_view(row) for row in uow.session.execute(_NEWEST_FIRST)]
    uow.audit.record(actor=actor, event="governance:caldicott:list", entity="caldicott:log")
    for case_id in sorted({entry.case_id for entry in entries if entry.case_id is not None}):
        uow.audit.record(
            actor=actor, event="governance:caldicott:view", case_id=case_id, entity="caldicott:log"
        )
    uow.commit()
    return entries
