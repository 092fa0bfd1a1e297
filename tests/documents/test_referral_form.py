"""The referral form template and how it is filled: no database, no rendering."""

import hashlib
from dataclasses import replace
from datetime import date
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from prevent_ig.domain.documents.model import Document
from prevent_ig.domain.documents.referral_form import (
    CURRENT_VERSION,
    FORM_FILES,
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
    assert form.name == "national-prevent-referral v2"
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


def test_the_address_is_printed_only_when_a_contact_item_is_released() -> None:
    # The address is contact detail: releasing who the person is (identity) does not release where
    # they live. Version 1 tied it to identity, and printed it for a decision that withheld it.
    identity_only = entries(fill(released_categories=frozenset({ItemCategory.IDENTITY})))
    assert identity_only["Full name"] == ("Alex Testperson", None)
    assert identity_only["Address"] == (
        None,
        "Not included: the referral assessment released no contact information.",
    )
    with_contact = entries(fill(released_categories=frozenset({ItemCategory.IDENTITY, ItemCategory.CONTACT})))
    assert with_contact["Address"] == ("1 Synthetic Street, Demotown", None)


def test_every_version_of_the_form_is_kept_and_version_1_is_as_it_was_issued() -> None:
    # The register names the version each referral was built from; that version's questions must still
    # be there, unchanged, to build it again. A changed form is a new file, never an edit of an old one.
    assert max(FORM_FILES, key=int) == CURRENT_VERSION
    for version in FORM_FILES:
        assert load_referral_form(version).name == f"national-prevent-referral v{version}"
    old = resources.files("prevent_ig.domain.documents").joinpath(FORM_FILES["1"]).read_bytes()
    assert hashlib.sha256(old).hexdigest() == (
        "4c122d7f20c69a989bf774a9010273ebd88d8dcb588385d3506781bc4c6da54a"
    )
    v1 = {f.id: f for f in load_referral_form("1").fields()}
    assert v1["address"].categories == {ItemCategory.IDENTITY}  # what version 1 forms printed
    v1_form = fill_referral_form(
        load_referral_form("1"), FACTS, reference="PIG-REF-000001", issued_on=date(2026, 11, 26)
    )
    assert v1_form.template == "national-prevent-referral v1"
    assert entries(v1_form)["Address"] == ("1 Synthetic Street, Demotown", None)


def test_version_2_changes_only_the_address_so_answers_kept_for_version_1_still_fill_it() -> None:
    v1, v2 = load_referral_form("1"), load_referral_form("2")
    assert v1.answerable_ids() == v2.answerable_ids()
    v1_fields = {f.id: f for f in v1.fields()}
    changed = [f.id for f in v2.fields() if f != v1_fields.get(f.id)]
    assert changed == ["address"]
    assert {f.id: f.categories for f in v2.fields() if ItemCategory.CONTACT in f.categories} == {
        "address": {ItemCategory.CONTACT},
        "family_or_carers": {ItemCategory.CONTACT},
    }


def test_an_unknown_form_version_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="version '9' is not known; the versions are 1, 2"):
        load_referral_form("9")
