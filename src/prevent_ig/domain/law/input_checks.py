"""Turn raw JSON into a checked ``Assessment``, or a list of problems each naming its field.

Pydantic checks the shape; the checks here are the contract's rules that tie fields together. All
problems are collected and reported together, so a user fixes their input in one pass.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from prevent_ig.domain.calendar.england_date import year_problem
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.catalogue import catalogue_ids
from prevent_ig.domain.law.vocabulary import (
    ConsentStatus,
    Kind,
    ReasonNotSought,
    RecipientType,
)
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, parse_address

ADULT_AGE = 18


@dataclass(frozen=True, slots=True)
class InputProblem:
    field: str
    """Dotted path to the field, e.g. ``items.2.id``; ``(input)`` for the document as a whole."""
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class AssessmentInputError(ValueError):
    """The input breaks the contract; ``problems`` says where and how."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def parse_assessment(raw: str | bytes, *, decided_on: date | None) -> Assessment:
    """Parse one JSON document into an ``Assessment`` or raise ``AssessmentInputError``.

    ``decided_on`` is the day it will be decided on, so that a request dated after it is refused: it
    cannot be answered before it arrives, and the decision's "respond by" date would count from a day
    still to come. It is required, so each caller says whether it knows that day (``None`` where no
    decision is made, as when only the document's shape is checked)."""
    try:
        assessment = Assessment.model_validate_json(raw)
    except ValidationError as error:
        raise AssessmentInputError(_from_pydantic(error)) from None
    problems = list(contract_problems(assessment, decided_on))
    if problems:
        raise AssessmentInputError(problems)
    return assessment


def _from_pydantic(error: ValidationError) -> list[InputProblem]:
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in detail["loc"]) or "(input)"
        problems.append(InputProblem(field=path, message=detail["msg"]))
    return problems


def contract_problems(a: Assessment, decided_on: date | None) -> Iterator[InputProblem]:
    """The cross-field rules of the contract, in field order."""
    if a.subject.adult_at_risk and a.subject.age < ADULT_AGE:
        yield InputProblem("subject.adult_at_risk", "can only be true when subject.age is 18 or over")
    yield from _consent_problems(a)
    yield from _recipient_problems(a)
    yield from _request_problems(a, decided_on)
    yield from _grounds_problems(a)
    yield from _item_problems(a)


def _consent_problems(a: Assessment) -> Iterator[InputProblem]:
    given = a.consent.status is ConsentStatus.GIVEN
    if given and a.consent.given_by is None:
        yield InputProblem(
            "consent.given_by",
            "is required when consent.status is 'given': one of subject, parent_or_guardian, "
            "legal_representative",
        )
    if not given and a.consent.given_by is not None:
        yield InputProblem("consent.given_by", "must be null unless consent.status is 'given'")
    reason = a.consent.reason_not_sought
    if reason is not None and a.consent.status is not ConsentStatus.NOT_SOUGHT:
        yield InputProblem("consent.reason_not_sought", "must be null unless consent.status is 'not_sought'")
    if reason is ReasonNotSought.LACKS_CAPACITY and a.subject.has_capacity:
        yield InputProblem(
            "consent.reason_not_sought",
            "cannot be 'lacks_capacity' while subject.has_capacity is true",
        )


def _recipient_problems(a: Assessment) -> Iterator[InputProblem]:
    if not a.recipient.name.strip():
        yield InputProblem("recipient.name", "must name the receiving organisation")
    if a.recipient.type is RecipientType.POLICE and not a.recipient.competent_authority:
        yield InputProblem(
            "recipient.competent_authority",
            "must be true when recipient.type is 'police': police forces are competent authorities",
        )
    if a.recipient.email is not None:
        try:
            parse_address(a.recipient.email)
        except MalformedAddressError as error:
            yield InputProblem("recipient.email", f"is not a valid email address: {error}")


def _request_problems(a: Assessment, decided_on: date | None) -> Iterator[InputProblem]:
    responding = a.kind is Kind.REQUEST_RESPONSE
    if responding and a.request is None:
        yield InputProblem("request", "is required when kind is 'request_response'")
    if not responding and a.request is not None:
        yield InputProblem("request", "must be null unless kind is 'request_response'")
    if a.request is not None:
        if (problem := year_problem(a.request.received)) is not None:
            yield InputProblem("request.received", problem)
        elif decided_on is not None and a.request.received > decided_on:
            yield InputProblem(
                "request.received",
                f"must be on or before the decision date, {decided_on.isoformat()}: a request cannot be "
                "answered before it arrives",
            )
        known = catalogue_ids()
        for index, provision_id in enumerate(a.request.legal_powers_cited):
            if provision_id not in known:
                yield InputProblem(
                    f"request.legal_powers_cited.{index}",
                    f"'{provision_id}' is not a provision id in the catalogue (see `prevent-ig provisions`)",
                )


def _grounds_problems(a: Assessment) -> Iterator[InputProblem]:
    g = a.grounds
    detail_given = bool(g.legal_requirement_detail and g.legal_requirement_detail.strip())
    if g.legal_requirement is not None and not detail_given:
        yield InputProblem(
            "grounds.legal_requirement_detail",
            "must name the court order or enactment when grounds.legal_requirement is set",
        )
    if g.legal_requirement is None and detail_given:
        yield InputProblem(
            "grounds.legal_requirement_detail",
            "must be null or blank unless grounds.legal_requirement is set",
        )
    if a.consent.status is not ConsentStatus.GIVEN and not g.rationale.strip():
        yield InputProblem(
            "grounds.rationale",
            "must explain the reasoning unless consent.status is 'given'",
        )


def _item_problems(a: Assessment) -> Iterator[InputProblem]:
    seen: set[str] = set()
    for index, item in enumerate(a.items):
        if not item.id.strip():
            yield InputProblem(f"items.{index}.id", "must not be blank")
        elif item.id in seen:
            yield InputProblem(f"items.{index}.id", f"'{item.id}' is used by an earlier item")
        seen.add(item.id)
