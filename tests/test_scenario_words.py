"""The words the engine writes for each golden case, pinned as plain-text snapshots (syrupy).

The golden runner (tests/test_golden_scenarios.py) pins the codes: outcome, reasons, provisions.
This module pins the wording a Prevent lead reads: each reason's text with its citations, what is
still missing, what must be done, and the note that goes into the record. One file per golden case,
under tests/__snapshots__/test_scenario_words/, written as the lead would read it, so a reviewer of a
diff sees the changed sentence. A deliberate change of wording is recorded with
``pytest tests/test_scenario_words.py --snapshot-update`` and the diff reviewed (see
tests/scenarios/README.md).
"""

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.record_note import render_record_note
from tests.test_golden_scenarios import CASES, Case, assessment_of, run


class PlainTextSnapshot(SingleFileSnapshotExtension):
    """One UTF-8 ``.txt`` file per snapshot, stored exactly as rendered."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


def case_id(case: Case) -> str:
    """The snapshot's name: the golden file (without .yaml) and the case name."""
    return f"{case.file.removesuffix('.yaml')}.{case.name}"


def render_words(case: Case, a: Assessment, d: Decision) -> str:
    """Everything the engine says in words for one case, as plain text a person can review."""
    lines = [
        f"Golden case: {case.file} / {case.name}",
        f"Outcome: {d.outcome.value}",
        f"Decisive: {d.decisive.value}",
        "",
        "Reasons:",
    ]
    for number, r in enumerate(d.reasons, start=1):
        cited = ", ".join(r.provisions) or "(no provision)"
        lines.append(f"{number}. {r.code.value}  |  provisions: {cited}  |  guidance {r.guidance_section}")
        lines.append(f"   {r.text}")
    lines += ["", "Missing:"]
    lines += [f"- {m.code.value}: {m.text}" for m in d.missing] or ["(none)"]
    lines += ["", "Obligations:"]
    for o in d.obligations:
        due = f" (due {o.due.isoformat()})" if o.due is not None else ""
        lines.append(f"- {o.code.value}{due}: {o.text}")
    if not d.obligations:
        lines.append("(none)")
    lines += ["", "Record note (between the rules, exactly as rendered):", "-----", ""]
    return "\n".join(lines) + render_record_note(a, d) + "-----\n"


@pytest.fixture
def snapshot_text(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(PlainTextSnapshot)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_words(case: Case, snapshot_text: SnapshotAssertion) -> None:
    assert render_words(case, assessment_of(case), run(case)) == snapshot_text
