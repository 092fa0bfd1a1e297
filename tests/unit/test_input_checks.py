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
    ("overrides", "field", "message"),
    [
        (
            {"subject": {"age": 17, "adult_at_risk": True}},
            "subject.adult_at_risk",
            "can only be true when subject.age is 18 or over",
        ),
        (
            {"consent": {"status": "given", "given_by": None}},
            "consent.given_by",
            "is required when consent.status is 'given': one of subject, parent_or_guardian, "
            "legal_representative",
        ),
        (
            {"consent": {"status": "refused", "given_by": "subject"}},
            "consent.given_by",
            "must be null unless consent.status is 'given'",
        ),
        (
            {"consent": {"status": "given", "given_by": "subject", "reason_not_sought": "urgent"}},
            "consent.reason_not_sought",
            "must be null unless consent.status is 'not_sought'",
        ),
        (
            {"consent": {"status": "not_sought", "given_by": None, "reason_not_sought": "lacks_capacity"}},
            "consent.reason_not_sought",
            "cannot be 'lacks_capacity' while subject.has_capacity is true",
        ),
        ({"recipient": {"name": "  "}}, "recipient.name", "must name the receiving organisation"),
        (
            {"recipient": {"competent_authority": False}},
            "recipient.competent_authority",
            "must be true when recipient.type is 'police': police forces are competent authorities",
        ),
        ({"kind": "request_response"}, "request", "is required when kind is 'request_response'"),
        ({"request": REQUEST_COMPLETE}, "request", "must be null unless kind is 'request_response'"),
        (
            {"kind": "request_response", "request": {**REQUEST_COMPLETE, "legal_powers_cited": ["Magic.1"]}},
            "request.legal_powers_cited.0",
            "'Magic.1' is not a provision id in the catalogue (see `prevent-ig provisions`)",
        ),
        (
            {
                "kind": "request_response",
                "request": {**REQUEST_COMPLETE, "legal_powers_cited": ["CTSA2015.s38", "Magic.2"]},
            },
            "request.legal_powers_cited.1",
            "'Magic.2' is not a provision id in the catalogue (see `prevent-ig provisions`)",
        ),
        (
            {"grounds": {"legal_requirement": "court_order", "legal_requirement_detail": None}},
            "grounds.legal_requirement_detail",
            "must name the court order or enactment when grounds.legal_requirement is set",
        ),
        (
            {"grounds": {"legal_requirement": "statute", "legal_requirement_detail": "   "}},
            "grounds.legal_requirement_detail",
            "must name the court order or enactment when grounds.legal_requirement is set",
        ),
        (
            {"grounds": {"legal_requirement": None, "legal_requirement_detail": "Order 12"}},
            "grounds.legal_requirement_detail",
            "must be null or blank unless grounds.legal_requirement is set",
        ),
        (
            {"consent": {"status": "refused", "given_by": None}, "grounds": {"rationale": " "}},
            "grounds.rationale",
            "must explain the reasoning unless consent.status is 'given'",
        ),
        ({"items": [item(" ")]}, "items.0.id", "must not be blank"),
        ({"items": [item("a"), item(" ")]}, "items.1.id", "must not be blank"),
        ({"items": [item("a"), item("a")]}, "items.1.id", "'a' is used by an earlier item"),
        ({"items": [item("a"), item("b"), item("a")]}, "items.2.id", "'a' is used by an earlier item"),
    ],
)
def test_each_contract_rule_across_fields_names_its_field_and_says_what_is_allowed(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    # The whole set is compared, so a rule that names the wrong field, says something else, or
    # raises a second problem alongside fails here.
    assert problems(input_data(**overrides)) == {field: message}


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("not an address", "must have an @-sign"),
        ("x@gov.uk..com", "two periods in a row"),
        ("prevent@", "something after the @-sign"),
    ],
)
def test_a_malformed_recipient_email_is_named_with_the_reason_it_is_refused(email: str, reason: str) -> None:
    # The reason comes from email-validator, so its wording is pinned by key words, not whole.
    found = problems(input_data(recipient={"email": email}))
    assert found.keys() == {"recipient.email"}
    assert found["recipient.email"].startswith("is not a valid email address: ")
    assert reason in found["recipient.email"]


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


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"subject": {"age": "34"}}, "subject.age", "valid integer"),
        ({"subject": {"age": 131}}, "subject.age", "less than or equal to 130"),
        ({"subject": {"age": -1}}, "subject.age", "greater than or equal to 0"),
        ({"subject": {"has_capacity": "yes"}}, "subject.has_capacity", "valid boolean"),
        ({"recipient": {"email": 42}}, "recipient.email", "valid string"),
        (
            {"grounds": {"legal_requirement": "hunch"}},
            "grounds.legal_requirement",
            "'court_order' or 'statute'",
        ),
        ({"items": []}, "items", "at least 1 item"),
        ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
        (
            {"kind": "request_response", "request": {**REQUEST_COMPLETE, "received": "22/12/2026"}},
            "request.received",
            "YYYY-MM-DD",
        ),
    ],
)
def test_shape_errors_say_what_is_allowed(overrides: dict[str, Any], field: str, words: str) -> None:
    # These messages are pydantic's, so the words a user needs are pinned rather than the whole text.
    assert words in problems(input_data(**overrides))[field]


def test_malformed_json_says_it_is_not_json() -> None:
    assert problems("{not json")["(input)"].startswith("Invalid JSON")


SUBMITTED = "Jane-Synthetic-Doe-1987"


def test_no_submitted_value_is_echoed_back_in_a_shape_error() -> None:
    # A value typed into the wrong field may be personal data (a name in the age field); the error
    # names the field and what it allows, and leaves the value out of every form a caller sees.
    data = input_data(
        kind=SUBMITTED,
        subject={"role": SUBMITTED, "age": SUBMITTED, "has_capacity": SUBMITTED},
        consent={"status": SUBMITTED},
        recipient={"email": [SUBMITTED], "competent_authority": SUBMITTED},
        grounds={"legal_requirement": SUBMITTED, "rationale": [SUBMITTED]},
        items=[item("a", SUBMITTED)],
        ig_advice={"adviser_role": SUBMITTED, "supports_sharing": SUBMITTED},
    )
    with pytest.raises(AssessmentInputError) as caught:
        parse_assessment(to_json(data), decided_on=None)
    error = caught.value
    assert len(error.problems) == 12
    assert all(SUBMITTED not in problem.message for problem in error.problems)
    assert SUBMITTED not in str(error)
    assert SUBMITTED not in repr([problem.as_dict() for problem in error.problems])


def test_the_error_lists_every_problem_in_field_order_as_field_colon_message() -> None:
    # The API and the CLI's JSON lines send as_dict(); the exception's own text joins the same.
    data = input_data(subject={"age": 15, "adult_at_risk": True}, recipient={"competent_authority": False})
    with pytest.raises(AssessmentInputError) as caught:
        parse_assessment(to_json(data), decided_on=None)
    assert [problem.as_dict() for problem in caught.value.problems] == [
        {"field": "subject.adult_at_risk", "message": "can only be true when subject.age is 18 or over"},
        {
            "field": "recipient.competent_authority",
            "message": "must be true when recipient.type is 'police': police forces are competent authorities",
        },
    ]
    assert str(caught.value) == (
        "subject.adult_at_risk: can only be true when subject.age is 18 or over; "
        "recipient.competent_authority: must be true when recipient.type is 'police': police forces are "
        "competent authorities"
    )
