"""The ``prevent-ig`` command line: its JSON forms are a stable interface, its errors exit 2."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prevent_ig.entrypoints.cli.app import app
from tests.builders import REQUEST_COMPLETE, input_data, item, to_json

runner = CliRunner()


def invoke(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


def write(tmp_path: Path, data: dict[str, Any], name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_text(to_json(data), encoding="utf-8")
    return str(path)


def test_assess_json_prints_only_the_output_object(tmp_path: Path) -> None:
    result = invoke("assess", write(tmp_path, input_data()), "--json", "--today", "2026-11-26")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["outcome"] == "share"
    assert output["decided_on"] == "2026-11-26"
    assert output["rules_version"] == "1"
    assert set(output) == {
        "outcome",
        "decisive",
        "basis",
        "items_to_share",
        "items_withheld",
        "reasons",
        "missing",
        "obligations",
        "rules_version",
        "decided_on",
    }


def test_assess_reads_stdin_and_prints_a_readable_decision() -> None:
    data = input_data(
        consent={"status": "refused", "given_by": None}, grounds={"risk_of_harm_to_others": False}
    )
    result = invoke("assess", "-", "--today", "2026-11-26", stdin=to_json(data))
    assert result.exit_code == 0
    assert result.stdout.startswith("DO NOT SHARE")
    assert "no_override" in result.stdout
    assert "HRA1998.Art8" in result.stdout


def test_a_valid_input_exits_zero_whatever_the_outcome(tmp_path: Path) -> None:
    data = input_data(kind="request_response", request={**REQUEST_COMPLETE, "proforma": False})
    result = invoke("assess", write(tmp_path, data), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["outcome"] == "clarify"


def test_assess_note_prints_the_record_note(tmp_path: Path) -> None:
    result = invoke("assess", write(tmp_path, input_data()), "--note", "--today", "2026-11-26")
    assert result.exit_code == 0
    assert "Record note:" in result.stdout
    assert "Prevent information-sharing decision, 2026-11-26" in result.stdout


def test_bad_input_exits_2_naming_every_bad_field_without_a_traceback(tmp_path: Path) -> None:
    data = input_data(subject={"age": 200}, kind="gossip")
    result = invoke("assess", write(tmp_path, data), "--json")
    assert result.exit_code == 2
    assert "subject.age" in result.stderr and "kind" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_request_received_after_the_decision_date_exits_2_naming_it(tmp_path: Path) -> None:
    data = input_data(kind="request_response", request={**REQUEST_COMPLETE, "received": "2026-11-27"})
    result = invoke("assess", write(tmp_path, data), "--json", "--today", "2026-11-26")
    assert result.exit_code == 2
    assert "request.received: must be on or before the decision date, 2026-11-26" in result.stderr
    assert result.stdout == ""


ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.json")), ids=lambda p: p.name)
def test_make_examples_assesses_every_bundled_example(example: Path) -> None:
    # The README's `make examples` decides them on the Makefile's EXAMPLES_DAY: each must be valid then.
    (day,) = re.findall(r"^EXAMPLES_DAY := (\S+)$", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    config = str(ROOT / "examples" / "engine-config.yaml")
    result = invoke("assess", str(example), "--config", config, "--today", day)
    assert result.exit_code == 0, result.output


def test_missing_file_and_bad_date_exit_2(tmp_path: Path) -> None:
    missing = invoke("assess", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2
    assert "cannot read" in missing.stderr
    bad_date = invoke("assess", write(tmp_path, input_data()), "--today", "26/11/2026")
    assert bad_date.exit_code == 2
    assert "--today" in bad_date.stderr


def test_jsonl_writes_one_line_per_input_and_error_objects_for_bad_lines() -> None:
    good = to_json(input_data())
    bad = to_json(input_data(subject={"age": "old"}))
    result = invoke(
        "assess", "-", "--jsonl", "--today", "2026-11-26", stdin="\n".join([good, bad, good]) + "\n"
    )
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["outcome"] == "share" and lines[2]["outcome"] == "share"
    assert lines[1] == {
        "line": 2,
        "errors": [{"field": "subject.age", "message": "Input should be a valid integer"}],
    }


def test_jsonl_with_only_valid_lines_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(to_json(input_data(items=[item(f"i{n}")])) for n in range(3)) + "\n")
    result = invoke("assess", str(path), "--jsonl")
    assert result.exit_code == 0
    assert [json.loads(line)["items_to_share"] for line in result.stdout.splitlines()] == [
        ["i0"],
        ["i1"],
        ["i2"],
    ]


@pytest.mark.parametrize(
    ("address", "secure"),
    [("prevent@northshire.pnn.police.uk", True), ("x@gov.uk.example.com", False), ("x@nhs.uk", False)],
)
def test_check_email_json(address: str, secure: bool) -> None:
    result = invoke("check-email", address, "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out == {
        "address": address,
        "domain": address.split("@")[1],
        "secure": secure,
        "requires_secure_tag": not secure,
    }


def test_check_email_uses_accredited_domains_from_configuration(tmp_path: Path) -> None:
    config = tmp_path / "engine.yaml"
    config.write_text("accredited_domains:\n  - {domain: Example-Trust.NHS.uk, expires: 2027-03-31}\n")
    before = invoke(
        "check-email", "a@example-trust.nhs.uk", "--json", "--config", str(config), "--today", "2027-03-31"
    )
    after = invoke(
        "check-email", "a@example-trust.nhs.uk", "--json", "--config", str(config), "--today", "2027-04-01"
    )
    assert json.loads(before.stdout)["secure"] is True
    assert json.loads(after.stdout)["secure"] is False


def test_bad_configuration_exits_2_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "engine.yaml"
    config.write_text("accredited_domains:\n  - {domain: example.nhs.uk, expires: soon}\n")
    result = invoke("check-email", "a@nhs.net", "--config", str(config))
    assert result.exit_code == 2
    assert "accredited_domains.0.expires" in result.stderr


def test_a_configuration_file_that_is_not_utf8_exits_2_saying_so(tmp_path: Path) -> None:
    config = tmp_path / "engine.yaml"
    config.write_bytes(
        "accredited_domains:\n  - {domain: café.nhs.uk, expires: 2027-03-31}\n".encode("latin-1")
    )
    result = invoke("check-email", "a@nhs.net", "--config", str(config))
    assert result.exit_code == 2, result.output
    assert f"{config}: is not UTF-8 text" in result.stderr


def test_check_email_malformed_exits_2() -> None:
    result = invoke("check-email", "not-an-address", "--json")
    assert result.exit_code == 2
    assert "not a valid email address" in result.stderr


def test_due_date_json_across_christmas() -> None:
    result = invoke("due-date", "--received", "2026-12-22", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"received": "2026-12-22", "due": "2026-12-31"}
    ten = invoke("due-date", "--received", "2026-12-22", "--working-days", "10", "--json")
    assert json.loads(ten.stdout)["due"] == "2027-01-08"


def test_due_date_holiday_override_from_configuration(tmp_path: Path) -> None:
    config = tmp_path / "engine.yaml"
    config.write_text("holiday_overrides:\n  add: [2026-12-29]\n")
    result = invoke("due-date", "--received", "2026-12-22", "--json", "--config", str(config))
    assert json.loads(result.stdout)["due"] == "2027-01-04"


def test_due_date_bad_input_exits_2() -> None:
    assert invoke("due-date", "--received", "tomorrow").exit_code == 2
    assert invoke("due-date", "--received", "2026-12-22", "--working-days", "-1").exit_code == 2


@pytest.mark.parametrize(
    "arguments",
    [
        ("due-date", "--received", "9999-12-31"),  # used to end in OverflowError and a traceback
        ("due-date", "--received", "1899-12-31"),
        ("assess", "-", "--today", "2100-01-01"),
        ("report", "requests", "--from", "9999-01-01"),
    ],
)
def test_a_date_option_out_of_1900_to_2099_exits_2_naming_the_option(arguments: tuple[str, ...]) -> None:
    result = invoke(*arguments)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{arguments[-2]}'" in result.stderr
    assert "must be in the years 1900 to 2099" in result.stderr
    assert "Traceback" not in result.output


def test_the_last_day_of_2099_still_gets_its_due_date() -> None:
    result = invoke("due-date", "--received", "2099-12-31", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["due"] == "2100-01-08"  # 1 January 2100 a bank holiday


def test_schema_prints_both_schemas_matching_the_committed_copies() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schemas = json.loads(result.stdout)
    assert schemas["input"]["title"] == "SharingAssessmentInput"
    assert schemas["input"]["additionalProperties"] is False
    assert "subject" in schemas["input"]["required"]
    assert schemas["output"]["title"] == "SharingAssessmentOutput"
    committed = Path(__file__).parents[2] / "docs" / "schema" / "assessment.schema.json"
    assert json.loads(committed.read_text(encoding="utf-8")) == schemas, (
        "docs/schema is stale: run `prevent-ig schema > docs/schema/assessment.schema.json`"
    )


def test_provisions_json_lists_the_catalogue() -> None:
    result = invoke("provisions", "--json")
    assert result.exit_code == 0
    ids = [p["id"] for p in json.loads(result.stdout)["provisions"]]
    assert "DPA2018.Sch1.Pt2.18" in ids and "Caldicott.7" in ids
    readable = invoke("provisions")
    assert "CDA1998.s115" in readable.stdout


def test_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "prevent_ig",
            "assess",
            write(tmp_path, input_data()),
            "--json",
            "--today",
            "2026-11-26",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["decisive"] == "lawful_to_share"


@pytest.mark.parametrize(
    ("record", "allowed"),
    [("0", "greater than or equal to 1"), ("2147483648", "less than or equal to 2147483647")],
)
@pytest.mark.parametrize(
    ("command", "argument"),
    [
        (["cases", "show"], "case_id"),
        (["documents", "answers"], "case_id"),
        (["documents", "referral", "--out", "out.pdf"], "case_id"),
        (["documents", "disclosure", "--out", "out.pdf"], "assessment_id"),
        (["documents", "clarification", "--out", "out.pdf"], "assessment_id"),
        (["documents", "note", "--out", "out.pdf"], "assessment_id"),
        (["documents", "caldicott"], "assessment_id"),
        (["mail", "send-referral", "--to", "p@x.pnn.police.uk"], "case_id"),
        (["mail", "send-disclosure", "--to", "p@x.pnn.police.uk"], "assessment_id"),
        (["mail", "retry"], "outbox_id"),
        (["mail", "resend"], "outbox_id"),
    ],
)
def test_a_record_number_no_record_can_have_exits_2_naming_it(
    command: list[str], argument: str, record: str, allowed: str
) -> None:
    # Past the database's integer range an id reached the database and ended in a traceback.
    refused = invoke(*command, "--", record)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.replace("│", " ").split())
    assert f"Invalid value for '{argument}': Input should be {allowed}" in said
    assert "Traceback" not in refused.output
