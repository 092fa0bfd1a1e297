"""The note a lead pastes into the patient, service user or staff record (guidance §6).

Plain text, because clinical systems take plain text. It carries the professional's rationale, since
the guidance asks for the decision *and its rationale* to be in the record (§4, §6), and only items
named in the assessment. It is read by people who never saw prevent-ig, years later, so it says the
contract's values in words (a police force, not ``police``; "a parent or guardian", not
``parent_or_guardian``), and keeps the provision ids, which `prevent-ig provisions` explains.
"""

from dataclasses import dataclass

from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.vocabulary import (
    AdviserRole,
    ConsentGiver,
    ConsentStatus,
    Kind,
    Outcome,
    Purpose,
    ReasonNotSought,
    RecipientType,
    WithheldReason,
)

OUTCOME_WORDS = {
    Outcome.SHARE: "share the information listed below",
    Outcome.SEEK_CONSENT: "do not share yet; seek the person's consent first",
    Outcome.CLARIFY: "do not share yet; ask the requestor to clarify their request",
    Outcome.ESCALATE: "do not share yet; refer the question to the IG team, DPO or Caldicott guardian",
    Outcome.DO_NOT_SHARE: "do not share",
}
KIND_WORDS = {
    Kind.REFERRAL: "a referral",
    Kind.REQUEST_RESPONSE: "an answer to a request for information",
    Kind.DISCLOSURE: "a disclosure",
}
PURPOSE_WORDS = {
    Purpose.PREVENT_REFERRAL: "a Prevent referral",
    Purpose.POLICE_SCREENING: "police screening of a referral",
    Purpose.CHANNEL_INFORMATION_GATHERING: "Channel information gathering",
    Purpose.CHANNEL_PANEL: "a Channel panel meeting",
    Purpose.SUPPORT_PLAN: "a Channel support plan",
    Purpose.CRIME_PREVENTION: "preventing or detecting crime",
    Purpose.SAFEGUARDING: "safeguarding",
}
RECIPIENT_WORDS = {
    RecipientType.POLICE: "police",
    RecipientType.LOCAL_AUTHORITY: "local authority",
    RecipientType.CHANNEL_PANEL: "Channel panel",
    RecipientType.VSS: "Vulnerability Support Service",
    RecipientType.PROBATION: "probation",
    RecipientType.HEALTH: "health organisation",
    RecipientType.OTHER: "other organisation",
}
CONSENT_WORDS = {
    ConsentStatus.GIVEN: "given",
    ConsentStatus.REFUSED: "refused",
    ConsentStatus.WITHDRAWN: "withdrawn",
    ConsentStatus.NOT_SOUGHT: "not sought",
}
GIVER_WORDS = {
    ConsentGiver.SUBJECT: "the person",
    ConsentGiver.PARENT_OR_GUARDIAN: "a parent or guardian",
    ConsentGiver.LEGAL_REPRESENTATIVE: "a legal representative",
}
NOT_SOUGHT_WORDS = {
    ReasonNotSought.PREJUDICE_PURPOSE: "asking would prejudice the purpose",
    ReasonNotSought.RISK_OF_HARM: "asking could put someone at risk of harm",
    ReasonNotSought.URGENT: "too urgent to ask first",
    ReasonNotSought.LACKS_CAPACITY: "the person cannot decide about this",
}
WITHHELD_WORDS = {
    WithheldReason.NOT_RELEVANT: "not relevant",
    WithheldReason.NO_JUSTIFICATION: "no written justification",
    WithheldReason.NO_CONDITION: "no condition met for this kind of data",
}
ADVISER_WORDS = {
    AdviserRole.DPO: "the Data Protection Officer",
    AdviserRole.CALDICOTT_GUARDIAN: "the Caldicott guardian",
    AdviserRole.IG_TEAM: "the information governance team",
}


@dataclass(frozen=True, slots=True)
class NoteAuthor:
    """Who decided; optional because the engine alone does not know."""

    name: str
    role: str


def render_record_note(
    assessment: Assessment, decision: Decision, *, author: NoteAuthor | None = None
) -> str:
    a, d = assessment, decision
    descriptions = {item.id: item.description for item in a.items}
    lines = [
        f"Prevent information-sharing decision, {d.decided_on.isoformat()} "
        f"(prevent-ig rules version {d.rules_version})",
        f"Question: {KIND_WORDS[a.kind]} to {a.recipient.name} ({RECIPIENT_WORDS[a.recipient.type]}), "
        f"for {PURPOSE_WORDS[a.purpose]}.",
        f"Decision: {OUTCOME_WORDS[d.outcome]}.",
    ]
    if author is not None:
        lines.append(f"Decided by: {author.name}, {author.role}.")
    lines.append(f"Consent: {_consent_words(a)}.")
    if a.grounds.rationale.strip():
        lines.append(f"Rationale: {a.grounds.rationale.strip()}")
    basis = d.basis.provision_ids()
    if basis:
        lines.append(f"Legal basis: {', '.join(basis)}.")
    lines.append("Reasons:")
    lines.extend(f"- {r.text} [{_citation(r.provisions, r.guidance_section)}]" for r in d.reasons)
    if d.items_to_share:
        lines.append("Released:")
        lines.extend(f"- {i}: {descriptions[i]}" for i in d.items_to_share)
    if d.items_withheld:
        lines.append("Withheld:")
        lines.extend(f"- {w.id}: {descriptions[w.id]} ({WITHHELD_WORDS[w.reason]})" for w in d.items_withheld)
    if d.missing:
        lines.append("Still needed:")
        lines.extend(f"- {m.text}" for m in d.missing)
    lines.append(f"Advice: {_advice_words(a)}.")
    return "\n".join(lines) + "\n"


def _consent_words(a: Assessment) -> str:
    c = a.consent
    words = CONSENT_WORDS[c.status]
    if c.given_by is not None:
        words += f" by {GIVER_WORDS[c.given_by]}"
    if c.reason_not_sought is not None:
        words += f" (reason: {NOT_SOUGHT_WORDS[c.reason_not_sought]})"
    return words


def _advice_words(a: Assessment) -> str:
    advice = a.ig_advice
    if advice is None:
        return "none sought"
    who = ADVISER_WORDS[advice.adviser_role]
    if advice.supports_sharing is None:
        return f"requested from {who}, awaited"
    return f"{who} {'supports' if advice.supports_sharing else 'does not support'} sharing"


def _citation(provisions: list[str], section: str) -> str:
    return "; ".join([*provisions, f"guidance {section}"])
