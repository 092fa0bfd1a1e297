"""Bad input is reported field by field, never half-accepted (decision rules: input errors)."""

from datetime import date
from typing import Any

import pytest

from prevent_ig.domain.law.input_checks import AssessmentInputError, parse_assessment
from tests.builders import REQUEST_COMPLETE, input_data, item, to_json


def problems(data: dict[str, Any] | str, decided_on: date | None = None) -> dict[str, str]:
    raw = data if isinstance(data, str) else to_json(data)
    with pytest.raises(AssessmentInputError) as caught:
        parse_assessment(raw, decided_on=decided_on)
    return {p.field: p.message for p in caught.value.problems}


def test_the_base_input_is_valid() -> None:
    assert parse_assessment(to_json(input_data()), decided_on=None).kind.value == "referral"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"subject": {"role": "visitor"}}, "subject.role"),
        ({"subject": {"age": 131}}, "subject.age"),
        ({"subject": {"age": -1}}, "subject.age"),
        ({"subject": {"age": "34"}}, "subject.age"),
        ({"subject": {"age": 34.5}}, "subject.age"),
        ({"subject": {"has_capacity": "yes"}}, "subject.has_capacity"),
        ({"subject": {"has_capacity": 1}}, "subject.has_capacity"),
        ({"consent": {"status": "maybe"}}, "consent.status"),
        ({"recipient": {"type": "journalist"}}, "recipient.type"),
        ({"recipient": {"email": 42}}, "recipient.email"),
        ({"grounds": {"legal_requirement": "hunch"}}, "grounds.legal_requirement"),
        ({"items": []}, "items"),
        ({"items": [item("a", "gossip")]}, "items.0.category"),
        ({"ig_advice": {"adviser_role": "friend", "supports_sharing": True}}, "ig_advice.adviser_role"),
        (
            {"kind": "request_response", "request": {**REQUEST_COMPLETE, "received": "22/12/2026"}},
            "request.received",
        ),
    ],
)
def test_type_errors_name_the_field(overrides: dict[str, Any], field: str) -> None:
    assert field in problems(input_data(**overrides))


def test_enum_errors_list_the_allowed_values() -> None:
    message = problems(input_data(kind="gossip"))["kind"]
    assert "referral" in message and "request_response" in message and "disclosure" in message


def test_unknown_keys_are_refused_where_they_appear() -> None:
    found = problems(input_data(colour="blue", subject={"nickname": "x"}))
    assert "colour" in found and "subject.nickname" in found


def test_every_field_is_required_even_when_null_is_allowed() -> None:
    data = input_data()
    del data["ig_advice"]
    del data["grounds"]["legal_requirement"]
    found = problems(data)
    assert found.keys() == {"ig_advice", "grounds.legal_requirement"}
    assert "required" in found["ig_advice"].lower()


def test_malformed_json_is_a_problem_not_a_crash() -> None:
    assert "(input)" in problems("{not json")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": {"status": "given", "given_by": None}}, "consent.given_by"),
        ({"consent": {"status": "refused", "given_by": "subject"}}, "consent.given_by"),
        (
            {"consent": {"status": "given", "given_by": "subject", "reason_not_sought": "urgent"}},
            "consent.reason_not_sought",
        ),
        (
            {"consent": {"status": "not_sought", "given_by": None, "reason_not_sought": "lacks_capacity"}},
            "consent.reason_not_sought",
        ),
        ({"subject": {"age": 17, "adult_at_risk": True}}, "subject.adult_at_risk"),
        ({"recipient": {"competent_authority": False}}, "recipient.competent_authority"),
        ({"recipient": {"email": "not an address"}}, "recipient.email"),
        ({"recipient": {"email": "x@gov.uk..com"}}, "recipient.email"),
        ({"recipient": {"name": "  "}}, "recipient.name"),
        ({"kind": "request_response"}, "request"),
        ({"request": REQUEST_COMPLETE}, "request"),
        (
            {"kind": "request_response", "request": {**REQUEST_COMPLETE, "legal_powers_cited": ["Magic.1"]}},
            "request.legal_powers_cited.0",
        ),
        (
            {"grounds": {"legal_requirement": "court_order", "legal_requirement_detail": None}},
            "grounds.legal_requirement_detail",
        ),
        (
            {"grounds": {"legal_requirement": "statute", "legal_requirement_detail": "   "}},
            "grounds.legal_requirement_detail",
        ),
        (
            {"grounds": {"legal_requirement": None, "legal_requirement_detail": "Order 12"}},
            "grounds.legal_requirement_detail",
        ),
        (
            {"consent": {"status": "refused", "given_by": None}, "grounds": {"rationale": " "}},
            "grounds.rationale",
        ),
        ({"items": [item("a"), item("a")]}, "items.1.id"),
        ({"items": [item(" ")]}, "items.0.id"),
    ],
)
def test_contract_rules_across_fields_name_the_field(overrides: dict[str, Any], field: str) -> None:
    assert field in problems(input_data(**overrides))


@pytest.mark.parametrize("received", ["1899-12-31", "2100-01-01", "9999-12-31"])
def test_a_request_received_outside_1900_to_2099_is_refused_not_counted_from(received: str) -> None:
    # 9999-12-31 is a common "no date" placeholder; counting five working days on from it used to
    # raise OverflowError instead of answering.
    data = input_data(
        kind="request_response",
        purpose="channel_information_gathering",
        request={**REQUEST_COMPLETE, "received": received},
    )
    assert problems(data) == {"request.received": "must be in the years 1900 to 2099"}


def test_a_request_received_after_the_decision_date_is_refused_naming_the_date() -> None:
    # Answered before it arrived: a typing slip (2027 for 2026) that would also put the decision's
    # "respond by" date in the future.
    data = input_data(
        kind="request_response",
        purpose="channel_information_gathering",
        request={**REQUEST_COMPLETE, "received": "2026-11-27"},
    )
    assert problems(data, decided_on=date(2026, 11, 26)) == {
        "request.received": "must be on or before the decision date, 2026-11-26: a request cannot be "
        "answered before it arrives"
    }


@pytest.mark.parametrize("decided_on", [date(2026, 11, 27), date(2027, 1, 4)])
def test_a_request_received_on_or_before_the_decision_date_is_assessed(decided_on: date) -> None:
    data = input_data(
        kind="request_response",
        purpose="channel_information_gathering",
        request={**REQUEST_COMPLETE, "received": "2026-11-27"},
    )
    assessment = parse_assessment(to_json(data), decided_on=decided_on)
    assert str(assessment.request.received) == "2026-11-27"  # type: ignore[union-attr]


@pytest.mark.parametrize("received", ["1900-01-01", "2099-12-31"])
def test_the_first_and_last_days_of_the_range_are_assessed(received: str) -> None:
    data = input_data(
        kind="request_response",
        purpose="channel_information_gathering",
        request={**REQUEST_COMPLETE, "received": received},
    )
    assert str(parse_assessment(to_json(data), decided_on=None).request.received) == received  # type: ignore[union-attr]


def test_blank_rationale_is_allowed_when_consent_is_given() -> None:
    assert (
        parse_assessment(to_json(input_data(grounds={"rationale": ""})), decided_on=None).grounds.rationale
        == ""
    )


def test_all_cross_field_problems_are_reported_together() -> None:
    found = problems(
        input_data(
            subject={"age": 15, "adult_at_risk": True},
            recipient={"competent_authority": False},
            items=[item("a"), item("a")],
        )
    )
    assert {"subject.adult_at_risk", "recipient.competent_authority", "items.1.id"} <= found.keys()
