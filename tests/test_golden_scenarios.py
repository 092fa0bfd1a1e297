"""Golden cases: readable YAML in tests/scenarios, each a situation from the guidance.

A case's ``input`` is deep-merged onto its file's ``base_input``; ``expect`` lists exact outcome,
decisive code, the set of cited provisions and the released items, and optionally basis, withheld
items, missing codes, obligations, reason codes and the response deadline.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from prevent_ig.adapters.engine_config_file import engine_config_from_mapping
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.input_checks import parse_assessment
from prevent_ig.domain.law.vocabulary import (
    AdviserRole,
    ConsentGiver,
    ConsentStatus,
    Decisive,
    ItemCategory,
    Kind,
    LegalRequirement,
    MissingCode,
    ObligationCode,
    Outcome,
    Purpose,
    ReasonCode,
    ReasonNotSought,
    RecipientType,
    SubjectRole,
    WithheldReason,
)
from tests.builders import deep_merge

SCENARIOS = Path(__file__).parent / "scenarios"
DEFAULT_TODAY = date(2026, 11, 26)
MINIMUM_CASES = 50


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    input: dict[str, Any]
    expect: dict[str, Any]
    today: date
    config: dict[str, Any]


def load_cases() -> Iterator[Case]:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        base = document.get("base_input") or {}
        for raw in document["cases"]:
            yield Case(
                file=path.name,
                name=raw["name"],
                input=deep_merge(base, raw.get("input") or {}),
                expect=raw["expect"],
                today=raw.get("today", DEFAULT_TODAY),
                config=raw.get("config") or {},
            )


CASES = list(load_cases())


def assessment_of(case: Case) -> Assessment:
    return parse_assessment(json.dumps(case.input, default=str), decided_on=case.today)


def run(case: Case) -> Decision:
    return assess(assessment_of(case), engine_config_from_mapping(case.config), today=case.today)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Case) -> None:
    d = run(case)
    e = case.expect
    assert d.outcome.value == e["outcome"]
    assert d.decisive.value == e["decisive"]
    assert d.cited_provisions() == set(e["provisions"])
    assert d.items_to_share == e["items_to_share"]
    if "basis" in e:
        assert d.basis.model_dump() == e["basis"]
    if "items_withheld" in e:
        assert [w.model_dump(mode="json") for w in d.items_withheld] == e["items_withheld"]
    if "missing" in e:
        assert [m.code.value for m in d.missing] == e["missing"]
    if "obligations" in e:
        assert [o.code.value for o in d.obligations] == e["obligations"]
    if "reasons" in e:
        assert [r.code.value for r in d.reasons] == e["reasons"]
    if "respond_by" in e:
        due = [o.due for o in d.obligations if o.code is ObligationCode.RESPOND_BY]
        assert due == [e["respond_by"]]


def test_there_are_enough_cases_with_unique_names() -> None:
    names = [c.name for c in CASES]
    assert len(names) >= MINIMUM_CASES
    assert len(set(names)) == len(names)


def _seen(path: str) -> set[Any]:
    found: set[Any] = set()
    for case in CASES:
        node: Any = case.input
        parts = path.split(".")
        nodes = [node]
        for part in parts:
            nxt = []
            for n in nodes:
                if part == "*" and isinstance(n, list):
                    nxt.extend(n)
                elif isinstance(n, dict) and part in n:
                    nxt.append(n[part])
            nodes = nxt
        found.update(n for n in nodes if not isinstance(n, (dict, list)))
    return found


@pytest.mark.parametrize(
    ("path", "enum"),
    [
        ("kind", Kind),
        ("purpose", Purpose),
        ("subject.role", SubjectRole),
        ("consent.status", ConsentStatus),
        ("consent.given_by", ConsentGiver),
        ("consent.reason_not_sought", ReasonNotSought),
        ("recipient.type", RecipientType),
        ("grounds.legal_requirement", LegalRequirement),
        ("items.*.category", ItemCategory),
        ("ig_advice.adviser_role", AdviserRole),
    ],
)
def test_cases_use_every_input_enum_value(path: str, enum: Any) -> None:
    assert {m.value for m in enum} <= _seen(path)


def test_cases_cover_every_output_code() -> None:
    decisions = [run(c) for c in CASES]
    assert {d.outcome for d in decisions} == set(Outcome)
    assert {d.decisive for d in decisions} == set(Decisive)
    assert {r.code for d in decisions for r in d.reasons} == set(ReasonCode)
    assert {m.code for d in decisions for m in d.missing} == set(MissingCode)
    assert {o.code for d in decisions for o in d.obligations} == set(ObligationCode)
    assert {w.reason for d in decisions for w in d.items_withheld} == set(WithheldReason)
    assert {None, True, False} <= _seen("ig_advice.supports_sharing")
