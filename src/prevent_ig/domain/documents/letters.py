"""Documents drafted from a decision for people other than the recipient of the data.

- The clarification letter asks a requestor for what their request lacks. It names no one and
  contains nothing about the person: a request that is not yet complete gets no personal data back.
- The record note is the text the lead puts in the patient, service user or staff record.
- The Caldicott log entry is drafted only when advice was sought; the lead adds the adviser's name.
"""

from dataclasses import dataclass
from datetime import date

from prevent_ig.domain.documents.disclosure import PURPOSE_WORDS, RequestFacts
from prevent_ig.domain.documents.model import Document, DocumentKind, Entry, Section
from prevent_ig.domain.documents.referral_form import long_date
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Decision, Missing
from prevent_ig.domain.law.record_note import ADVISER_WORDS, NoteAuthor, render_record_note
from prevent_ig.domain.law.vocabulary import Outcome, Purpose
from prevent_ig.domain.pathway.request_clock import RESPONSE_WORKING_DAYS

CLARIFICATION_TEMPLATE = "clarification-letter v1"
RECORD_NOTE_TEMPLATE = "record-note v1"
CALDICOTT_TEMPLATE = "caldicott-entry v1"
DECISION_WORDS = {
    Outcome.SHARE: "share",
    Outcome.SEEK_CONSENT: "seek the person's consent first",
    Outcome.CLARIFY: "ask the requestor to clarify",
    Outcome.ESCALATE: "take advice before deciding",
    Outcome.DO_NOT_SHARE: "do not share",
}


class NotApplicableError(ValueError):
    """The decision does not call for this document; the message says why."""


def requestor_gaps(decision: Decision, assessment_id: int) -> tuple[Missing, ...]:
    """What the clarification letter asks the requestor for: the gaps in their request (§5), not what
    the lead must settle themselves. The letter and the clarification it records list the same."""
    if decision.outcome is not Outcome.CLARIFY:
        raise NotApplicableError(
            f"assessment {assessment_id} decided {decision.outcome.value}, not clarify: "
            "a clarification letter is only for an incomplete request"
        )
    gaps = tuple(m for m in decision.missing if m.code.value.startswith("request_"))
    if not gaps:
        raise NotApplicableError(f"assessment {assessment_id} lists nothing the requestor must supply")
    return gaps


def clarification_letter(
    *,
    request: RequestFacts,
    purpose: Purpose,
    decision: Decision,
    assessment_id: int,
    reference: str,
    issued_on: date,
) -> Document:
    points = tuple(m.text for m in requestor_gaps(decision, assessment_id))
    return Document(
        kind=DocumentKind.CLARIFICATION,
        reference=reference,
        title="Your request for information: what we need before we can respond",
        issued_on=issued_on,
        template=CLARIFICATION_TEMPLATE,
        addressee=(request.person, request.organisation),
        sections=(
            Section(
                title="Your request",
                entries=(
                    Entry(label="Received", value=long_date(request.received_on)),
                    Entry(label="Our request number", value=str(request.request_id)),
                    Entry(label="Stated purpose", value=_first_upper(PURPOSE_WORDS[purpose])),
                ),
            ),
            Section(
                title="What we need from you",
                paragraphs=(
                    "Before we can decide whether to share health information, we need the following. "
                    "Until it arrives we will not share anything in answer to this request.",
                ),
                bullets=points,
            ),
            Section(
                title="What happens next",
                paragraphs=(
                    f"We will respond within {RESPONSE_WORKING_DAYS} working days of receiving a "
                    "complete reply. Please send it by secure email and quote our request number.",
                ),
            ),
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadDecision:
    """What the lead did with the engine's decision: the record must show a departure and its reason."""

    decided_by: str
    followed: bool
    reason: str | None


def record_note_document(
    assessment: Assessment,
    decision: Decision,
    *,
    lead: LeadDecision,
    author: NoteAuthor | None,
    reference: str,
    issued_on: date,
) -> Document:
    """The engine's record note, word for word, and the lead's own decision beside it."""
    lines = tuple(render_record_note(assessment, decision, author=author).splitlines())
    verb = "followed the engine's decision" if lead.followed else "departed from the engine's decision"
    words = f"The lead ({lead.decided_by}) {verb}" + (f": {lead.reason}" if lead.reason else ".")
    return Document(
        kind=DocumentKind.RECORD_NOTE,
        reference=reference,
        title="Record note: Prevent information-sharing decision",
        issued_on=issued_on,
        template=RECORD_NOTE_TEMPLATE,
        sections=(
            Section(title="Note for the record", paragraphs=lines),
            Section(title="Lead's decision", paragraphs=(words,)),
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CaldicottDraft:
    """Matches the Caldicott log's fields; ``adviser`` (a name) is left for the lead to add."""

    case_id: int
    question: str
    adviser_role: str
    advice: str
    decision: str


def caldicott_draft(
    assessment: Assessment,
    decision: Decision,
    *,
    case_id: int,
    assessment_id: int,
    lead_decision: str,
    lead_reason: str | None,
) -> CaldicottDraft:
    advice = assessment.ig_advice
    if advice is None:
        raise NotApplicableError(
            f"assessment {assessment_id} records no advice from the IG team, DPO or Caldicott guardian, "
            "so there is nothing for the Caldicott log"
        )
    who = ADVISER_WORDS[advice.adviser_role]
    if advice.supports_sharing is None:
        advice_words = f"Advice requested from {who}; awaited."
    else:
        advice_words = (
            f"{_first_upper(who)} {'supports' if advice.supports_sharing else 'does not support'} sharing."
        )
    lead = "followed" if lead_decision == "follow" else f"departed from ({lead_reason})"
    return CaldicottDraft(
        case_id=case_id,
        question=(
            f"Case {case_id}, assessment {assessment_id}: may we {assessment.kind.value.replace('_', ' ')} "
            f"to {assessment.recipient.name} for {PURPOSE_WORDS[assessment.purpose]}?"
        ),
        adviser_role=advice.adviser_role.value,
        advice=advice_words,
        decision=(
            f"Assessment on {long_date(decision.decided_on)}: {DECISION_WORDS[decision.outcome]}; "
            f"the lead {lead} it."
        ),
    )


def caldicott_document(draft: CaldicottDraft, *, reference: str, issued_on: date) -> Document:
    return Document(
        kind=DocumentKind.CALDICOTT_ENTRY,
        reference=reference,
        title="Caldicott log entry (draft)",
        issued_on=issued_on,
        template=CALDICOTT_TEMPLATE,
        sections=(
            Section(
                title="Entry",
                entries=(
                    Entry(label="Question", value=draft.question),
                    Entry(label="Adviser role", value=draft.adviser_role.replace("_", " ")),
                    Entry(label="Adviser", value=None, note="Add the adviser's name before logging."),
                    Entry(label="Advice", value=draft.advice),
                    Entry(label="Decision", value=draft.decision),
                ),
            ),
        ),
    )


def _first_upper(text: str) -> str:
    """Capitalise the first letter only: ``str.capitalize`` would lower "Channel" and "Caldicott"."""
    return text[:1].upper() + text[1:]
