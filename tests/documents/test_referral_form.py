"""The referral form template and how it is filled: no database, no rendering."""

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from prevent_ig.domain.documents.model import Document
from prevent_ig.domain.documents.referral_form import (
    AnswersError,
    ContactFacts,
    FormTemplate,
    ReferralFacts,
    ReferralFormIncompleteError,
    check_answers,
    fill_referral_form,
    load_referral_form,
)
from prevent_ig.domain.law.vocabulary import ItemCategory

FACTS = ReferralFacts(
    case_id=7,
    concern="Synthetic concern noticed in clinic.",
    raised_by="clinician.a",
    owner="lead.a",
    opened_on=date(2026, 11, 20),
    subject_name="Alex Testperson",
    subject_date_of_birth=date(1990, 5, 17),
    subject_nhs_number="9990000018",
    subject_address="1 Synthetic Street, Demotown",
    subject_role="patient",
    assessment_id=3,
    decided_on=date(2026, 11, 26),
    consent_words="Given by the person",
    consent_given=True,
    rationale="Synthetic rationale for referring without consent.",
    basis_ids=("UKGDPR.6.1.e", "CLDC.consent"),
    released_categories=frozenset({ItemCategory.IDENTITY}),
    answers={
        "referrer_name": "Synthetic Lead",
        "referrer_email": "lead@example-trust.nhs.uk",
        "source_contact": "extension 4321",
        "vulnerabilities": "Synthetic low mood",
    },
    contacts={},
)


def entries(document: Document) -> dict[str, tuple[str | None, str | None]]:
    """Each entry by label; labels that repeat (Name, Role) are prefixed by their section's title."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for section in document.sections:
        for entry in section.entries:
            key = (
                f"{section.title}/{entry.label}" if entry.label in ("Name", "Role", "Email") else entry.label
            )
            found[key] = (entry.value, entry.note)
    return found


def fill(**changes: Any) -> Document:
    return fill_referral_form(
        load_referral_form(),
        replace(FACTS, **changes),
        reference="PIG-REF-000001",
        issued_on=date(2026, 11, 26),
    )


def test_the_form_is_data_with_the_known_sections_of_the_national_form() -> None:
    form = load_referral_form()
    assert form.name == "national-prevent-referral v1"
    titles = [s.title for s in form.sections]
    for expected in (
        "The individual",
        "The concerns",
        "Vulnerabilities and additional needs",
        "Other agencies involved",
        "Awareness and consent",
        "Referrer",
        "Who first raised the concern",
        "Other information",
    ):
        assert expected in titles
    assert {"aliases", "vulnerabilities", "other_agencies", "source_contact"} <= set(form.answerable_ids())
    assert "name" not in form.answerable_ids()  # the name comes from the record, never typed again


def test_a_template_with_an_unknown_source_or_a_repeated_field_is_refused() -> None:
    field = {"id": "x", "label": "X", "sources": ["subject.shoe_size"]}
    with pytest.raises(ValidationError, match="unknown source"):
        FormTemplate.model_validate(
            {
                "form": "f",
                "version": "1",
                "title": "t",
                "sections": [{"id": "s", "title": "S", "fields": [field]}],
            }
        )
    twice = {"id": "x", "label": "X", "sources": ["answer"]}
    with pytest.raises(ValidationError, match="more than once"):
        FormTemplate.model_validate(
            {
                "form": "f",
                "version": "1",
                "title": "t",
                "sections": [{"id": "s", "title": "S", "fields": [twice, twice]}],
            }
        )


def test_filled_form_takes_values_from_records_answers_and_the_decision() -> None:
    found = entries(fill())
    assert found["Full name"] == ("Alex Testperson", None)
    assert found["Date of birth"][0] == "17 May 1990"
    assert found["NHS number"][0] == "999 000 0018"
    assert found["What prompted the concern"][0] == "Synthetic concern noticed in clinic."
    assert found["Consent to this referral"][0] == "Given by the person"
    assert found["Lawful basis (provision ids)"][0] == "UKGDPR.6.1.e, CLDC.consent"
    assert found["Referrer/Name"][0] == "Synthetic Lead"  # from the lead's answers
    assert found["Who first raised the concern/Name"][0] == "clinician.a"  # from the case record
    assert found["Contact details"][0] == "extension 4321"
    assert found["Gender"] == (None, None)  # optional and not answered: left blank, not invented


def test_a_field_whose_category_was_not_released_stays_empty_whatever_was_typed() -> None:
    value, note = entries(fill())["Vulnerabilities and additional needs"]
    assert value is None
    assert note == "Not included: the referral assessment released no health information."
    released = entries(fill(released_categories=frozenset({ItemCategory.IDENTITY, ItemCategory.HEALTH})))
    assert released["Vulnerabilities and additional needs"][0] == "Synthetic low mood"


def test_the_rationale_appears_only_when_there_is_no_consent() -> None:
    assert "Why the referral is made without consent" not in entries(fill())
    without = entries(fill(consent_given=False, consent_words="Refused"))
    assert (
        without["Why the referral is made without consent"][0]
        == "Synthetic rationale for referring without consent."
    )


def test_missing_required_values_are_all_named() -> None:
    with pytest.raises(ReferralFormIncompleteError) as caught:
        fill(answers={}, rationale="  ", consent_given=False, released_categories=frozenset())
    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "name",
        "date_of_birth",
        "consent_rationale",
        "referrer_name",
        "referrer_email",
        "source_contact",
    ]
    assert "needs a released identity item, but assessment 3 released none" in str(caught.value)


def test_the_contacts_register_stands_in_for_unanswered_referrer_details() -> None:
    lead = ContactFacts(
        name="Synthetic Register Lead", email="register.lead@example-trust.nhs.uk", phone="0100 000 000"
    )
    found = entries(fill(answers={"source_contact": "extension 4321"}, contacts={"prevent_lead": lead}))
    assert found["Referrer/Name"][0] == "Synthetic Register Lead"
    assert found["Referrer/Email"][0] == "register.lead@example-trust.nhs.uk"
    assert found["Telephone"][0] == "0100 000 000"


def test_answers_are_checked_against_the_form() -> None:
    form = load_referral_form()
    assert check_answers(form, {"aliases": "  Ace  ", "gender": "   "}) == {"aliases": "Ace"}
    with pytest.raises(AnswersError) as unknown:
        check_answers(form, {"name": "Someone Else"})
    assert unknown.value.field == "answers.name"
    with pytest.raises(AnswersError, match="must be text"):
        check_answers(form, {"aliases": 3})
