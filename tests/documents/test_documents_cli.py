"""`prevent-ig documents …` end to end: ids as `cases list --json` shows them, PDFs read back, and
bad input exiting 2 with the field named and no traceback."""

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    DocumentRow,
    PartnerRequestRow,
    ReferralAnswersRow,
)
from prevent_ig.entrypoints.cli.app import app
from prevent_ig.entrypoints.cli.documents import documents_app
from prevent_ig.services.requests import mark_answered
from tests.documents.builders import ANSWERS, CONTENTS, partner_request, pdf_pages, referral
from tests.fixtures_db import TODAY, Db

runner = CliRunner()


@pytest.fixture
def env(db: Db, tmp_path: Path) -> dict[str, str | None]:
    return db.cli_env(tmp_path / "data")


def test_referral_and_disclosure_pdfs_from_the_command_line(
    db: Db, env: dict[str, str | None], tmp_path: Path
) -> None:
    made = referral(db)
    request = partner_request(db)
    listed = json.loads(runner.invoke(app, ["cases", "list", "--json"], env=env).stdout)
    assert made.case_id in [c["id"] for c in listed]

    out = tmp_path / "referral.pdf"
    result = runner.invoke(
        documents_app, ["referral", str(made.case_id), "--out", str(out), "--today", "2026-11-26"], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("PIG-REF-")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: owner only
    pages = pdf_pages(out.read_bytes())
    assert all(p.count("OFFICIAL-SENSITIVE") == 2 for p in pages) and "Alex Testperson" in pages[0]

    again = runner.invoke(documents_app, ["referral", str(made.case_id), "--out", str(out)], env=env)
    assert again.exit_code == 2 and "exists; choose a new name" in again.stderr

    items = tmp_path / "items.yaml"
    items.write_text(json.dumps(CONTENTS))
    pack = tmp_path / "pack.pdf"
    result = runner.invoke(
        documents_app,
        ["disclosure", str(request.assessment_id), "--items", str(items), "--out", str(pack)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(pdf_pages(pack.read_bytes())).split())
    assert CONTENTS["mental-health"] in text and "chess" not in text


def test_documents_commands_name_the_bad_field_and_exit_2(
    db: Db, env: dict[str, str | None], tmp_path: Path
) -> None:
    made = referral(db, answers={})
    cases = [
        (["referral", str(made.case_id), "--out", str(tmp_path / "a.pdf")], "error: referral.referrer_name:"),
        (["referral", "999", "--out", str(tmp_path / "b.pdf")], "error: case 999 does not exist"),
        (["disclosure", str(made.assessment_id), "--out", str(tmp_path / "c.pdf")], "is a referral"),
        (["referral", str(made.case_id), "--out", str(tmp_path / "no" / "d.pdf")], "--out: folder"),
    ]
    for args, message in cases:
        result = runner.invoke(documents_app, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert not list(tmp_path.glob("*.pdf"))


def test_documents_form_says_which_kind_of_released_item_prints_each_question(
    env: dict[str, str | None],
) -> None:
    # The lead reads here that withholding contact details keeps the address off the form.
    result = runner.invoke(documents_app, ["form"], env=env)
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert lines["address"].endswith(
        "Address: from the records; printed only if the decision releases contact information"
    )
    assert lines["name"].endswith("printed only if the decision releases identity information")
    assert lines["concern"].endswith("What prompted the concern: from the records (required)")


def test_answers_form_note_and_caldicott_from_the_command_line(
    db: Db, env: dict[str, str | None], tmp_path: Path
) -> None:
    made = referral(db, answers={})
    form = json.loads(runner.invoke(documents_app, ["form", "--json"], env=env).stdout)
    assert form["form"] == "national-prevent-referral" and form["version"] == "2"
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "referrer_name: Synthetic Lead\nreferrer_email: lead@example-trust.nhs.uk\nsource_contact: bleep 9\n"
    )
    result = runner.invoke(documents_app, ["answers", str(made.case_id), str(answers)], env=env)
    assert result.exit_code == 0 and "3 answer(s) kept" in result.stdout
    answers.write_text("shoe_size: '9'\n")
    result = runner.invoke(documents_app, ["answers", str(made.case_id), str(answers)], env=env)
    assert result.exit_code == 2 and "answers.shoe_size" in result.stderr
    assert (
        runner.invoke(
            documents_app, ["referral", str(made.case_id), "--out", str(tmp_path / "r.pdf")], env=env
        ).exit_code
        == 0
    )

    note = runner.invoke(documents_app, ["note", str(made.assessment_id)], env=env)
    assert note.exit_code == 0 and "Decision: share the information listed below." in note.stdout
    caldicott = runner.invoke(documents_app, ["caldicott", str(made.assessment_id)], env=env)
    assert caldicott.exit_code == 2 and "nothing for the Caldicott log" in caldicott.stderr


def test_an_out_path_that_cannot_be_written_is_refused_before_anything_is_issued(
    db: Db, env: dict[str, str | None], tmp_path: Path
) -> None:
    made = referral(db)
    dangling = tmp_path / "link.pdf"
    dangling.symlink_to(tmp_path / "nowhere" / "target.pdf")  # exists() says no; the name is taken
    before = issued_count(db)

    refused = runner.invoke(documents_app, ["referral", str(made.case_id), "--out", str(dangling)], env=env)

    assert refused.exit_code == 2, refused.output
    assert "--out:" in refused.stderr and "exists" in refused.stderr
    assert issued_count(db) == before  # it used to be recorded as issued, then the write failed
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()


def test_a_document_refused_by_the_rules_leaves_no_empty_file(
    db: Db, env: dict[str, str | None], tmp_path: Path
) -> None:
    out = tmp_path / "clarification.pdf"
    made = referral(db)  # a referral decision: there is no partner request to ask about
    refused = runner.invoke(
        documents_app, ["clarification", str(made.assessment_id), "--out", str(out)], env=env
    )
    assert refused.exit_code == 2, refused.output
    assert not out.exists()


def test_the_clarification_letter_from_the_command_line_stops_the_clock_or_is_refused(
    db: Db, env: dict[str, str | None], tmp_path: Path
) -> None:
    made = partner_request(db, complete=False)
    out = tmp_path / "letter.pdf"

    issued = runner.invoke(
        documents_app, ["clarification", str(made.assessment_id), "--out", str(out)], env=env
    )

    assert issued.exit_code == 0, issued.output
    assert any("What we need from you" in page for page in pdf_pages(out.read_bytes()))
    with db.uow() as uow:
        request = uow.session.get(PartnerRequestRow, made.request_id)
        assert request is not None and request.status == "awaiting_clarification"

    answered = partner_request(db, complete=False)
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=answered.request_id, on=TODAY)
    before = issued_count(db)
    refused_out = tmp_path / "refused.pdf"
    refused = runner.invoke(
        documents_app, ["clarification", str(answered.assessment_id), "--out", str(refused_out)], env=env
    )
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith(f"error: request {answered.request_id} was answered on {TODAY}")
    assert issued_count(db) == before and not refused_out.exists()


def issued_count(db: Db) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(DocumentRow)) or 0


# What a JSON or YAML file can hold and no record can: JSON's "\ud800" (a lone surrogate, which json
# and PyYAML both accept) and "\u0000" (NUL, which PostgreSQL refuses in text).
UNSTORABLE = pytest.mark.parametrize(
    ("text", "says"),
    [("Synthetic \ud800 text", "is not valid Unicode text"), ("Synthetic \x00 text", "contains a NUL")],
    ids=["lone-surrogate", "nul"],
)


def written(db: Db) -> list[int]:
    """How many referral answers, documents and audit events there are."""
    with db.uow() as uow:
        return [
            uow.session.scalar(select(func.count()).select_from(table)) or 0
            for table in (ReferralAnswersRow, DocumentRow, AuditEventRow)
        ]


@UNSTORABLE
def test_an_answer_that_cannot_be_stored_exits_2_naming_the_question_and_keeps_nothing(
    db: Db, env: dict[str, str | None], tmp_path: Path, text: str, says: str
) -> None:
    """A lone surrogate was a UnicodeEncodeError traceback (exit 1) from the audit digest; NUL was
    kept on SQLite and a database error on PostgreSQL. Now both exit 2 naming the answer."""
    made = referral(db)
    before = written(db)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**ANSWERS, "source_contact": text}))  # escapes as "\ud800", "\u0000"

    refused = runner.invoke(documents_app, ["answers", str(made.case_id), str(answers)], env=env)

    assert refused.exit_code == 2, (refused.output, refused.exception)
    assert refused.stderr.startswith(f"error: answers.source_contact: {says}"), refused.stderr
    assert "Traceback" not in refused.output and "Synthetic" not in refused.stderr  # never the text
    assert written(db) == before


@UNSTORABLE
def test_released_content_that_cannot_be_stored_exits_2_naming_the_item_and_issues_nothing(
    db: Db, env: dict[str, str | None], tmp_path: Path, text: str, says: str
) -> None:
    """A lone surrogate was a UnicodeEncodeError traceback (exit 1); now exit 2 naming the item."""
    request = partner_request(db)
    before = written(db)
    items = tmp_path / "items.json"
    items.write_text(json.dumps({**CONTENTS, "mental-health": text}))
    pack = tmp_path / "pack.pdf"

    refused = runner.invoke(
        documents_app,
        ["disclosure", str(request.assessment_id), "--items", str(items), "--out", str(pack)],
        env=env,
    )

    assert refused.exit_code == 2, (refused.output, refused.exception)
    assert refused.stderr.startswith(f"error: items.mental-health: {says}"), refused.stderr
    assert "Traceback" not in refused.output
    assert written(db) == before and not pack.exists()
