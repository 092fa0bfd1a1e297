"""The sharing assessment as a guided interview: one question per page, only what the rules need.

Answers are kept in a draft that travels with each form (nothing is stored until the lead records a
decision); the engine re-checks everything at the end, so a tampered draft can only produce an input
error, never a wrong decision.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prevent_ig.domain.law.catalogue import load_catalogue
from prevent_ig.domain.law.vocabulary import ItemCategory
from prevent_ig.entrypoints.web.form_dates import date_from_parts, iso_date

Answers = dict[str, Any]
MAX_AGE = 130
Option = tuple[str, str, str | None]
Options = list[Option]


def option_labels(options: Options) -> dict[str, str]:
    """Each option's value and the words a page shows for it."""
    return {value: label for value, label, _ in options}


KIND: Options = [
    ("referral", "Making a Prevent referral", None),
    (
        "request_response",
        "Answering a partner's request for information",
        "Police, council, Channel panel or VSS",
    ),
    ("disclosure", "Another disclosure", "For example, sharing with probation or another health body"),
]
PURPOSE: Options = [
    ("prevent_referral", "A Prevent referral", None),
    ("police_screening", "Police screening of a referral", None),
    ("channel_information_gathering", "Channel information gathering", "Before a Channel panel meets"),
    ("channel_panel", "A Channel panel meeting", None),
    ("support_plan", "A Channel support plan", None),
    ("crime_prevention", "Preventing or detecting crime", None),
    ("safeguarding", "Safeguarding", None),
]
ROLE: Options = [
    ("patient", "A patient", None),
    ("service_user", "A service user", None),
    ("staff", "A member of staff", None),
]
YES_NO: Options = [("yes", "Yes", None), ("no", "No", None)]
CONSENT: Options = [
    ("given", "They (or someone entitled to) agreed", None),
    ("refused", "They refused", None),
    ("withdrawn", "They agreed but have since withdrawn", None),
    ("not_sought", "Consent has not been asked for", None),
]
GIVEN_BY: Options = [
    ("subject", "The person themselves", None),
    ("parent_or_guardian", "A parent or guardian", "For a child under 18 who cannot decide"),
    (
        "legal_representative",
        "A legal representative",
        "Lasting power of attorney or deputy, for an adult who cannot decide",
    ),
]
NOT_SOUGHT: Options = [
    ("prejudice_purpose", "Asking would prejudice the purpose", "For example, it could tip someone off"),
    ("risk_of_harm", "Asking could put someone at risk of harm", None),
    ("urgent", "It is too urgent to ask first", "You will ask as soon as it is safe"),
    ("lacks_capacity", "They cannot decide about this", None),
    ("none", "No reason yet", "You will be advised to ask them first"),
]
RECIPIENT: Options = [
    ("police", "Police", None),
    ("local_authority", "Local authority", None),
    ("channel_panel", "Channel panel", None),
    ("vss", "Vulnerability Support Service", None),
    ("probation", "Probation", None),
    ("health", "Another health organisation", None),
    ("other", "Someone else", "The IG team will need to decide"),
]
REQUEST_CHECKS: Options = [
    ("proforma", "They used their organisation's official request form", None),
    ("secure_channel", "It came by secure, protectively marked email", None),
    ("consent_position_stated", "They said whether the person has consented", None),
    (
        "reason_given",
        "They gave a legitimate reason for sharing without consent",
        "For the VSS: they stated their role and the safeguarding issue they suspect",
    ),
    ("specific", "They said exactly what information they need, and why", None),
]
RISKS: Options = [
    ("self", "A risk of harm to the person themselves", None),
    ("others", "A risk of harm to others", None),
]
LEGAL: Options = [
    ("none", "No", None),
    ("court_order", "Yes, a court order", None),
    ("statute", "Yes, an Act of Parliament or regulations", None),
]
ADVICE: Options = [
    ("none", "No advice sought", None),
    ("awaited", "Asked, waiting for the answer", None),
    ("supports", "The adviser supports sharing", None),
    ("against", "The adviser does not support sharing", None),
]
ADVISER: Options = [
    ("dpo", "Data Protection Officer", None),
    ("caldicott_guardian", "Caldicott guardian", None),
    ("ig_team", "Information governance team", None),
]
# The lead chooses a kind for each item by these words, and the referral form prints a question only
# when an item of its kind was released (referral_form_vN.yaml): the identity and contact labels name
# what the current form ties to each, so withholding "contact details" is seen to keep the address off.
CATEGORY_LABELS = {
    ItemCategory.IDENTITY: "Identity (name, date of birth, NHS number, gender, nationality, language, "
    "school or workplace)",
    ItemCategory.CONTACT: "Contact details (home address, telephone, email, family or carers)",
    ItemCategory.HEALTH: "Health (physical or mental)",
    ItemCategory.RACIAL_ETHNIC_ORIGIN: "Racial or ethnic origin",
    ItemCategory.POLITICAL_OPINIONS: "Political opinions",
    ItemCategory.RELIGIOUS_BELIEFS: "Religious or philosophical beliefs",
    ItemCategory.TRADE_UNION: "Trade union membership",
    ItemCategory.GENETIC_BIOMETRIC: "Genetic or biometric data",
    ItemCategory.SEX_LIFE_ORIENTATION: "Sex life or sexual orientation",
    ItemCategory.CRIMINAL_OFFENCE: "Criminal offences or allegations",
    ItemCategory.OTHER: "Other information",
}
ADULT = 18
ITEM_KEYS = frozenset({"id", "description", "category", "relevant", "justification"})


@dataclass(frozen=True)
class Question:
    key: str
    title: str
    kind: str
    """radios, checkboxes, text, number, textarea, date, recipient, items."""
    hint: str | None = None
    options: Options = field(default_factory=list)
    applies: Callable[[Answers], bool] = lambda _a: True
    optional: bool = False
    fields: tuple[str, ...] = ()
    """The engine input's fields this answer sets (``to_engine_input``), as dotted paths without list
    positions (``items.id`` for every item's id): when the engine refuses one, the check page says so
    against this question, in its words."""


def _is(key: str, *values: str) -> Callable[[Answers], bool]:
    return lambda a: a.get(key) in values


def _adult(a: Answers) -> bool:
    return isinstance(a.get("age"), int) and a["age"] >= ADULT


QUESTIONS: list[Question] = [
    # ``request`` is there exactly when answering a request: what decides it is this answer.
    Question("kind", "What are you doing?", "radios", options=KIND, fields=("kind", "request")),
    Question("purpose", "What is the information for?", "radios", options=PURPOSE, fields=("purpose",)),
    Question("role", "Who is the information about?", "radios", options=ROLE, fields=("subject.role",)),
    Question("age", "How old are they?", "number", hint="In years", fields=("subject.age",)),
    Question(
        "adult_at_risk",
        "Are they an adult at risk?",
        "radios",
        options=YES_NO,
        hint="They have care and support needs, are at risk of harm, and cannot protect themselves.",
        applies=_adult,
        fields=("subject.adult_at_risk",),
    ),
    Question(
        "capacity_doubt",
        "Is there any doubt that they can decide about this sharing?",
        "radios",
        options=YES_NO,
        hint="From 16 the Mental Capacity Act applies; under 16, whether they are Gillick competent.",
        fields=("subject.has_capacity",),
    ),
    Question(
        "has_capacity",
        "Has an assessment found that they can decide about this sharing?",
        "radios",
        options=YES_NO,
        applies=_is("capacity_doubt", "yes"),
        fields=("subject.has_capacity",),
    ),
    Question(
        "consent_status",
        "Have they agreed to the sharing?",
        "radios",
        options=CONSENT,
        fields=("consent.status",),
    ),
    Question(
        "given_by",
        "Who agreed?",
        "radios",
        options=GIVEN_BY,
        applies=_is("consent_status", "given"),
        fields=("consent.given_by",),
    ),
    Question(
        "reason_not_sought",
        "Why has consent not been asked for?",
        "radios",
        options=NOT_SOUGHT,
        applies=_is("consent_status", "not_sought"),
        fields=("consent.reason_not_sought",),
    ),
    Question(
        "recipient_type",
        "Who would receive the information?",
        "radios",
        options=RECIPIENT,
        # The police are a competent authority without asking (``to_engine_input``).
        fields=("recipient.type", "recipient.competent_authority"),
    ),
    Question(
        "recipient",
        "Recipient details",
        "recipient",
        hint="We check the email address is a secure domain.",
        fields=("recipient.name", "recipient.email"),
    ),
    Question(
        "competent_authority",
        "Is the recipient a competent authority for law enforcement?",
        "radios",
        options=YES_NO,
        hint="Listed in DPA 2018 Schedule 7, or with statutory law-enforcement functions.",
        applies=lambda a: a.get("recipient_type") not in (None, "police"),
        fields=("recipient.competent_authority",),
    ),
    Question(
        "dsa_in_place",
        "Is a data sharing agreement that refers to Prevent signed with them?",
        "radios",
        options=YES_NO,
        fields=("recipient.dsa_in_place",),
    ),
    Question(
        "received",
        "When did the request arrive?",
        "date",
        applies=_is("kind", "request_response"),
        fields=("request.received",),
    ),
    Question(
        "request_checks",
        "Which of these does the request do?",
        "checkboxes",
        options=REQUEST_CHECKS,
        hint="Select all that apply.",
        applies=_is("kind", "request_response"),
        optional=True,
        fields=tuple(f"request.{key}" for key, _, _ in REQUEST_CHECKS),
    ),
    Question(
        "legal_powers",
        "Which powers or conditions does the requestor rely on?",
        "checkboxes",
        hint="Select all they cite. Leave empty if they cite none.",
        applies=_is("kind", "request_response"),
        optional=True,
        fields=("request.legal_powers_cited",),
    ),
    Question(
        "legal_requirement",
        "Does a court order or law require the disclosure?",
        "radios",
        options=LEGAL,
        hint="A power to share (such as the Crime and Disorder Act) is not a requirement.",
        fields=("grounds.legal_requirement",),
    ),
    Question(
        "legal_requirement_detail",
        "Which order or law?",
        "text",
        applies=lambda a: a.get("legal_requirement") in ("court_order", "statute"),
        fields=("grounds.legal_requirement_detail",),
    ),
    Question(
        "risks",
        "Is there a risk of harm?",
        "checkboxes",
        options=RISKS,
        hint="Select all that apply.",
        optional=True,
        fields=("grounds.risk_of_harm_to_self", "grounds.risk_of_harm_to_others"),
    ),
    Question(
        "substantial_public_interest",
        "Is there a substantial public interest in sharing?",
        "radios",
        options=YES_NO,
        hint="Your professional judgement, weighed against their right to privacy.",
        fields=("grounds.substantial_public_interest",),
    ),
    Question(
        "informing_would_prejudice",
        "Would telling them prejudice the purpose?",
        "radios",
        options=YES_NO,
        hint="For example, tip them off or put someone at risk.",
        fields=("grounds.informing_would_prejudice",),
    ),
    Question(
        "best_interests",
        "Has a best-interests decision been made that sharing is right for them?",
        "radios",
        options=YES_NO,
        applies=_is("has_capacity", "no"),
        fields=("grounds.best_interests",),
    ),
    Question(
        "items",
        "What information might be shared?",
        "items",
        hint="Add each piece of information separately, so each can be judged on its own.",
        fields=("items", *(f"items.{key}" for key in sorted(ITEM_KEYS))),
    ),
    Question(
        "ig_advice",
        "Have you sought advice from the IG team, DPO or Caldicott guardian?",
        "radios",
        options=ADVICE,
        fields=("ig_advice", "ig_advice.supports_sharing"),
    ),
    Question(
        "adviser_role",
        "Who advised?",
        "radios",
        options=ADVISER,
        applies=lambda a: a.get("ig_advice") not in (None, "none"),
        fields=("ig_advice.adviser_role",),
    ),
    Question(
        "rationale",
        "Explain your reasoning",
        "textarea",
        hint="This goes in the record. Say why sharing is (or is not) necessary and proportionate.",
        optional=True,
        fields=("grounds.rationale",),
    ),
]
BY_KEY = {q.key: q for q in QUESTIONS}
FIELD_QUESTIONS: dict[str, tuple[Question, ...]] = {
    name: tuple(q for q in QUESTIONS if name in q.fields) for q in QUESTIONS for name in q.fields
}
"""Each engine input field, and the questions whose answers set it, in interview order."""


def question_for_field(field_path: str, answers: Answers) -> Question | None:
    """The question an engine field's error belongs on: ``items.2.id`` is the items question's, as is
    ``items``. Of two questions that set one field (whether they can decide: the doubt, then the
    assessment's finding), the later that applies to these answers, the one the lead answered last;
    ``None`` for a field no answer sets (the document as a whole)."""
    parts = [part for part in field_path.split(".") if not part.isdigit()]
    while parts:
        questions = FIELD_QUESTIONS.get(".".join(parts))
        if questions:
            applying = [q for q in questions if q.applies(answers)]
            return (applying or questions)[-1]
        parts.pop()
    return None


def well_formed(answers: object) -> bool:
    """Whether a draft sent back by the browser has the shape this interview gives it.

    The draft travels in a hidden field, so it is as open to tampering as any other input: a value of
    the wrong type (a number where the items belong, an object for a name) must be refused with a 400
    before it reaches the pages or the engine, which take the shapes written here for granted.
    Values are checked for their type only; what they say is checked where they are used, as for
    answers typed in."""
    if not isinstance(answers, dict):
        return False
    for key, value in answers.items():
        if key == "_request_id":  # the partner request being answered, from the assessment's start
            fits = type(value) is int
        elif key == "items_done":
            fits = type(value) is bool
        else:
            question = BY_KEY.get(key)
            fits = question is not None and _fits(question.kind, value)
        if not fits:
            return False
    return True


def _fits(kind: str, value: object) -> bool:
    if kind in ("radios", "text", "textarea"):
        return isinstance(value, str)
    if kind == "checkboxes":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "number":
        return type(value) is int and 0 <= value <= MAX_AGE
    if kind == "date":
        return isinstance(value, str) and iso_date(value) is not None
    if kind == "recipient":
        return (
            isinstance(value, dict)
            and isinstance(value.get("name"), str)
            and set(value) <= {"name", "email"}
            and all(isinstance(v, str) for v in value.values())
        )
    if kind == "items":
        return isinstance(value, list) and all(_is_item(item) for item in value)
    return False


def _is_item(item: object) -> bool:
    return (
        isinstance(item, dict)
        and set(item) == ITEM_KEYS
        and type(item["relevant"]) is bool
        and all(isinstance(item[key], str) for key in ITEM_KEYS - {"relevant"})
    )


def legal_power_options() -> Options:
    wanted = (
        "CTSA2015.s38",
        "CDA1998.s115",
        "DPA2018.Sch1.Pt2.10",
        "DPA2018.Sch1.Pt2.18",
        "DPA2018.Sch1.Pt2.6",
        "UKGDPR.6.1.e",
        "UKGDPR.9.2.g",
    )
    catalogue = load_catalogue()
    return [(pid, catalogue.get(pid).title, None) for pid in wanted]


def answer_labels(question: Question) -> dict[str, str]:
    """The words a page shows for each value an answer to ``question`` may hold: its options', and for
    the items each kind of information's."""
    if question.kind == "items":
        return {category.value: label for category, label in CATEGORY_LABELS.items()}
    return option_labels(question.options)


def applicable(answers: Answers) -> list[Question]:
    return [q for q in QUESTIONS if q.applies(answers)]


def next_question(answers: Answers) -> Question | None:
    """The first applicable question still unanswered; None means ready to check answers."""
    for question in applicable(answers):
        if question.key not in answers:
            return question
    return None


def previous_question(answers: Answers, key: str) -> Question | None:
    earlier = None
    for question in applicable(answers):
        if question.key == key:
            return earlier
        earlier = question
    return earlier


def has_capacity(answers: Answers) -> bool:
    return answers.get("capacity_doubt") != "yes" or answers.get("has_capacity") == "yes"


def to_engine_input(answers: Answers) -> dict[str, Any]:
    """Build the contract's input from the answers that apply (the rest are ignored)."""
    a = {q.key: answers.get(q.key) for q in applicable(answers)}
    capable = has_capacity(answers)
    status = a["consent_status"]
    reason = a.get("reason_not_sought")
    legal = a.get("legal_requirement")
    risks = a.get("risks") or []
    checks = a.get("request_checks") or []
    advice = a.get("ig_advice")
    recipient = a.get("recipient") or {}
    return {
        "kind": a["kind"],
        "purpose": a["purpose"],
        "subject": {
            "role": a["role"],
            "age": a["age"],
            "adult_at_risk": a.get("adult_at_risk") == "yes",
            "has_capacity": capable,
        },
        "consent": {
            "status": status,
            "given_by": a.get("given_by") if status == "given" else None,
            "reason_not_sought": reason if status == "not_sought" and reason != "none" else None,
        },
        "recipient": {
            "name": recipient.get("name", ""),
            "type": a["recipient_type"],
            "competent_authority": a["recipient_type"] == "police" or a.get("competent_authority") == "yes",
            "email": recipient.get("email") or None,
            "dsa_in_place": a.get("dsa_in_place") == "yes",
        },
        "request": None
        if a["kind"] != "request_response"
        else {
            "received": a.get("received"),
            **{key: key in checks for key, _, _ in REQUEST_CHECKS},
            "legal_powers_cited": a.get("legal_powers") or [],
        },
        "grounds": {
            "risk_of_harm_to_self": "self" in risks,
            "risk_of_harm_to_others": "others" in risks,
            "substantial_public_interest": a.get("substantial_public_interest") == "yes",
            "informing_would_prejudice": a.get("informing_would_prejudice") == "yes",
            "best_interests": a.get("best_interests") == "yes",
            "legal_requirement": None if legal in (None, "none") else legal,
            "legal_requirement_detail": a.get("legal_requirement_detail")
            if legal not in (None, "none")
            else None,
            "rationale": a.get("rationale") or "",
        },
        "items": a.get("items") or [],
        "ig_advice": None
        if advice in (None, "none")
        else {
            "adviser_role": a.get("adviser_role"),
            "supports_sharing": {"supports": True, "against": False}.get(advice),
        },
    }


def parse_answer(question: Question, form: dict[str, Any], *, today: date) -> tuple[Any, str | None]:
    """The answer to one question from the form, or an error message saying what is needed. Dates
    asked here are of things that have happened (a request arriving), so none may be after ``today``."""
    value = form.get("answer")
    if question.kind == "radios":
        allowed = {v for v, _, _ in question.options}
        return (value, None) if value in allowed else (None, f"Select an answer: {question.title.lower()}")
    if question.kind == "checkboxes":
        chosen = form.get("answer_list") or []
        allowed = {v for v, _, _ in (question.options or legal_power_options())}
        return ([c for c in chosen if c in allowed], None)
    if question.kind == "number":
        text = str(value or "").strip()
        # ASCII digits, and few: "²" is a digit to str.isdigit but not to int(), and int() refuses
        # thousands of digits; either was a 500.
        if not (text.isascii() and text.isdigit() and len(text) <= 10) or int(text) > MAX_AGE:
            return None, "Enter their age in whole years, from 0 to 130"
        return int(text), None
    if question.kind == "date":
        found = date_from_parts(form.get("day"), form.get("month"), form.get("year"))
        if found is None:
            return None, "Enter a real date, for example 22 12 2026"
        if found > today:
            return None, "Enter a date that is today or earlier"
        return found.isoformat(), None
    if question.kind in ("text", "textarea"):
        text = str(value or "").strip()
        if not text and not question.optional:
            return None, "Enter an answer"
        return text, None
    if question.kind == "recipient":
        name = str(form.get("recipient_name") or "").strip()
        email = str(form.get("recipient_email") or "").strip()
        if not name:
            return None, "Enter the name of the receiving organisation"
        return {"name": name, "email": email}, None
    raise ValueError(f"unknown question kind {question.kind}")
