"""Properties that must hold for every valid input, checked over generated inputs.

These are the safety rails of the product: a wrong share harms a patient, so each is a law the engine
may never break whatever the facts.
"""

import json
from datetime import date
from typing import Any

from hypothesis import given

from prevent_ig.domain.config import make_engine_config
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.catalogue import catalogue_ids
from prevent_ig.domain.law.consent import has_valid_consent
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.input_checks import parse_assessment
from prevent_ig.domain.law.vocabulary import ItemCategory, MissingCode, Outcome
from tests.strategies import DECIDED_ON, assessment_inputs

TODAY = DECIDED_ON
CONFIG = make_engine_config(accredited_domains=[("example-trust.nhs.uk", date(2027, 3, 31))])
REQUEST_GAPS = {c for c in MissingCode if c.value.startswith("request_")}
OVERRIDES = {"CLDC.public_interest", "CLDC.best_interests", "CLDC.legal_requirement"}


def decide(data: dict[str, Any]) -> tuple[Assessment, Decision]:
    a = parse_assessment(json.dumps(data), decided_on=TODAY)
    return a, assess(a, CONFIG, today=TODAY)


def released(a: Assessment, d: Decision) -> list[Any]:
    by_id = {i.id: i for i in a.items}
    return [by_id[i] for i in d.items_to_share]


@given(assessment_inputs())
def test_special_category_is_never_shared_without_an_article9_condition(data: dict[str, Any]) -> None:
    a, d = decide(data)
    if any(i.category.is_special_category for i in released(a, d)):
        assert d.basis.article9 is not None


@given(assessment_inputs())
def test_criminal_offence_data_is_never_shared_without_a_condition(data: dict[str, Any]) -> None:
    a, d = decide(data)
    if any(i.category is ItemCategory.CRIMINAL_OFFENCE for i in released(a, d)):
        assert d.basis.article10_condition is not None


@given(assessment_inputs())
def test_no_share_without_valid_consent_unless_confidentiality_is_overridden(
    data: dict[str, Any],
) -> None:
    a, d = decide(data)
    if d.outcome is Outcome.SHARE and not has_valid_consent(a):
        assert d.basis.confidentiality in OVERRIDES


@given(assessment_inputs())
def test_irrelevant_or_unjustified_items_are_never_released(data: dict[str, Any]) -> None:
    a, d = decide(data)
    for i in released(a, d):
        assert i.relevant
        assert i.justification.strip()


@given(assessment_inputs())
def test_clarify_comes_only_from_the_request_checklist(data: dict[str, Any]) -> None:
    a, d = decide(data)
    if d.outcome is Outcome.CLARIFY:
        assert a.request is not None
        assert d.decisive.value == "request_incomplete"
        assert d.missing
        assert {m.code for m in d.missing} <= REQUEST_GAPS


@given(assessment_inputs())
def test_the_decision_is_deterministic(data: dict[str, Any]) -> None:
    first = decide(data)[1]
    second = decide(json.loads(json.dumps(data)))[1]
    assert first.model_dump_json() == second.model_dump_json()


@given(assessment_inputs())
def test_every_cited_provision_is_in_the_catalogue(data: dict[str, Any]) -> None:
    _, d = decide(data)
    assert d.cited_provisions() <= catalogue_ids()
    assert set(d.basis.provision_ids()) <= catalogue_ids()


@given(assessment_inputs())
def test_every_basis_id_appears_in_a_reason(data: dict[str, Any]) -> None:
    _, d = decide(data)
    assert set(d.basis.provision_ids()) <= d.cited_provisions()


@given(assessment_inputs())
def test_basis_and_items_are_empty_unless_share(data: dict[str, Any]) -> None:
    _, d = decide(data)
    if d.outcome is not Outcome.SHARE:
        assert d.basis.provision_ids() == []
        assert d.items_to_share == []
    else:
        assert d.items_to_share
        assert d.basis.article6 is not None and d.basis.confidentiality is not None
        assert d.missing == []


@given(assessment_inputs())
def test_decisive_code_is_one_of_the_reasons(data: dict[str, Any]) -> None:
    _, d = decide(data)
    assert d.decisive.value in {r.code.value for r in d.reasons}


@given(assessment_inputs())
def test_shared_and_withheld_items_never_overlap_and_keep_input_order(data: dict[str, Any]) -> None:
    a, d = decide(data)
    order = [i.id for i in a.items]
    shared = d.items_to_share
    withheld = [w.id for w in d.items_withheld]
    assert not set(shared) & set(withheld)
    assert shared == [i for i in order if i in shared]
    if d.outcome is Outcome.SHARE:
        assert sorted(shared + withheld) == sorted(order)


@given(assessment_inputs())
def test_output_round_trips_through_its_own_schema(data: dict[str, Any]) -> None:
    _, d = decide(data)
    assert Decision.model_validate_json(d.model_dump_json()) == d
    assert d.rules_version == "1"
    assert d.decided_on == TODAY


@given(assessment_inputs())
def test_document_decision_is_always_an_obligation(data: dict[str, Any]) -> None:
    _, d = decide(data)
    assert d.obligations[0].code.value == "document_decision"
