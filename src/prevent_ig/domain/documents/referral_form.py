"""The national Prevent referral form: a versioned template (data) filled from a case (facts).

The form's questions live in ``referral_form_vN.yaml`` because the Home Office changes the form between
versions; code only knows how to find a value for a source name. Each field may be tied to item
categories, so the form carries only what the referral assessment released: if the assessment
released no health item, the vulnerabilities question stays empty whatever the lead typed.

Every version is kept beside the others, never edited once forms have been issued from it: the
document register records the version each referral was built from (``national-prevent-referral
v1``), and that version's file is what reproduces it. New referrals use the current version.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prevent_ig.domain.documents.model import Document, DocumentKind, Entry, Section
from prevent_ig.domain.law.vocabulary import ItemCategory
from prevent_ig.domain.records.stored_text import text_problem

FORM_FILES = {"1": "referral_form_v1.yaml", "2": "referral_form_v2.yaml"}
CURRENT_VERSION = "2"
ANSWER = "answer"
FIXED_SOURCES = frozenset(
    {
        "subject.name",
        "subject.date_of_birth",
        "subject.nhs_number",
        "subject.address",
        "subject.role",
        "case.id",
        "case.concern",
        "case.raised_by",
        "case.owner",
        "case.opened_on",
        "assessment.id",
        "assessment.decided_on",
        "assessment.consent",
        "assessment.rationale",
        "assessment.basis",
    }
)
CONTACT_SOURCE = re.compile(r"^contact\.([a-z_]+)\.(name|email|phone)$")
MAX_ANSWER_LENGTH = 10_000


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormField(_Closed):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    sources: list[str] = Field(min_length=1)
    category: ItemCategory | list[ItemCategory] | None = None
    when: Literal["without_consent"] | None = None
    required: bool = False
    help: str | None = None

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, sources: list[str]) -> list[str]:
        for source in sources:
            if source != ANSWER and source not in FIXED_SOURCES and not CONTACT_SOURCE.match(source):
                raise ValueError(f"unknown source {source!r}")
        return sources

    @property
    def categories(self) -> frozenset[ItemCategory]:
        if self.category is None:
            return frozenset()
        if isinstance(self.category, list):
            return frozenset(self.category)
        return frozenset({self.category})

    @property
    def answerable(self) -> bool:
        return ANSWER in self.sources


class FormSection(_Closed):
    id: str
    title: str
    fields: list[FormField] = Field(min_length=1)


class FormTemplate(_Closed):
    form: str
    version: str
    title: str
    sections: list[FormSection] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "FormTemplate":
        ids = [f.id for f in self.fields()]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"field ids used more than once: {', '.join(repeated)}")
        return self

    @property
    def name(self) -> str:
        return f"{self.form} v{self.version}"

    def fields(self) -> list[FormField]:
        return [f for s in self.sections for f in s.fields]

    def answerable_ids(self) -> list[str]:
        return [f.id for f in self.fields() if f.answerable]


@cache
def load_referral_form(version: str = CURRENT_VERSION) -> FormTemplate:
    """A version of the form (the current one unless asked), parsed and checked once; a malformed
    template fails loudly at first use. Older versions stay loadable so that a referral the register
    says was built from one can be built again from the same questions."""
    if version not in FORM_FILES:
        known = ", ".join(sorted(FORM_FILES, key=int))
        raise ValueError(f"referral form version {version!r} is not known; the versions are {known}")
    text = resources.files(__package__).joinpath(FORM_FILES[version]).read_text(encoding="utf-8")
    form = FormTemplate.model_validate(yaml.safe_load(text))
    if form.version != version:
        raise ValueError(f"{FORM_FILES[version]} says it is version {form.version}, not {version}")
    return form


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactFacts:
    name: str
    email: str
    phone: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralFacts:
    """What the records say, gathered by the service; the form decides which of it is used."""

    case_id: int
    concern: str
    raised_by: str
    owner: str
    opened_on: date
    subject_name: str
    subject_date_of_birth: date
    subject_nhs_number: str | None
    subject_address: str
    subject_role: str
    assessment_id: int
    decided_on: date
    consent_words: str
    consent_given: bool
    rationale: str
    basis_ids: tuple[str, ...]
    released_categories: frozenset[ItemCategory]
    answers: Mapping[str, str]
    contacts: Mapping[str, ContactFacts]


@dataclass(frozen=True, slots=True)
class FormProblem:
    field: str
    message: str


class ReferralFormIncompleteError(ValueError):
    """Required questions have no value; ``problems`` names each field by its form id."""

    def __init__(self, problems: list[FormProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


class AnswersError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def check_answers(template: FormTemplate, answers: Mapping[str, object]) -> dict[str, str]:
    """The answers cleaned (trimmed, blanks dropped), or AnswersError naming the first bad one."""
    answerable = set(template.answerable_ids())
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        if key not in answerable:
            raise AnswersError(f"answers.{key}", f"is not a question the lead answers on {template.name}")
        if not isinstance(value, str):
            raise AnswersError(f"answers.{key}", "must be text")
        if (problem := text_problem(value)) is not None:
            raise AnswersError(f"answers.{key}", problem)
        if len(value) > MAX_ANSWER_LENGTH:
            raise AnswersError(f"answers.{key}", f"is longer than {MAX_ANSWER_LENGTH} characters")
        if value.strip():
            cleaned[key] = value.strip()
    return cleaned


def fill_referral_form(
    template: FormTemplate, facts: ReferralFacts, *, reference: str, issued_on: date
) -> Document:
    problems: list[FormProblem] = []
    sections = []
    for form_section in template.sections:
        entries = []
        for form_field in form_section.fields:
            if form_field.when == "without_consent" and facts.consent_given:
                continue
            entry, problem = _entry(form_field, facts)
            entries.append(entry)
            if problem is not None:
                problems.append(problem)
        sections.append(Section(title=form_section.title, entries=tuple(entries)))
    if problems:
        raise ReferralFormIncompleteError(problems)
    return Document(
        kind=DocumentKind.REFERRAL,
        reference=reference,
        title=template.title,
        issued_on=issued_on,
        template=template.name,
        sections=tuple(sections),
    )


def _entry(form_field: FormField, facts: ReferralFacts) -> tuple[Entry, FormProblem | None]:
    categories = form_field.categories
    if categories and not categories & facts.released_categories:
        words = " or ".join(sorted(c.value.replace("_", " ") for c in categories))
        note = f"Not included: the referral assessment released no {words} information."
        problem = None
        if form_field.required:
            problem = FormProblem(
                form_field.id,
                f"needs a released {words} item, but assessment {facts.assessment_id} released none",
            )
        return Entry(label=form_field.label, value=None, note=note), problem
    value = next((v for v in (_value(s, form_field.id, facts) for s in form_field.sources) if v), None)
    if value is None and form_field.required:
        how = "answer it with `prevent-ig documents answers`" if form_field.answerable else "record it"
        return Entry(label=form_field.label, value=None), FormProblem(
            form_field.id, f"is required on the referral form: {how}"
        )
    return Entry(label=form_field.label, value=value), None


def _value(source: str, field_id: str, f: ReferralFacts) -> str | None:
    if source == ANSWER:
        return f.answers.get(field_id)
    contact = CONTACT_SOURCE.match(source)
    if contact:
        found = f.contacts.get(contact.group(1))
        return getattr(found, contact.group(2)) if found else None
    values: dict[str, str | None] = {
        "subject.name": f.subject_name,
        "subject.date_of_birth": long_date(f.subject_date_of_birth),
        "subject.nhs_number": format_nhs_number(f.subject_nhs_number) if f.subject_nhs_number else None,
        "subject.address": f.subject_address,
        "subject.role": f.subject_role.replace("_", " "),
        "case.id": str(f.case_id),
        "case.concern": f.concern,
        "case.raised_by": f.raised_by,
        "case.owner": f.owner,
        "case.opened_on": long_date(f.opened_on),
        "assessment.id": str(f.assessment_id),
        "assessment.decided_on": long_date(f.decided_on),
        "assessment.consent": f.consent_words,
        "assessment.rationale": f.rationale,
        "assessment.basis": ", ".join(f.basis_ids),
    }
    value = values[source]
    return value.strip() if value and value.strip() else None


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def format_nhs_number(number: str) -> str:
    """``999 000 0018``: the 3-3-4 grouping people read NHS numbers in."""
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number
