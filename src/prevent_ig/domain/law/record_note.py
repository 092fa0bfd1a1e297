"""The note a lead pastes into the patient, service user or staff record (guidance §6).

Plain text, because clinical systems take plain text. It carries the professional's rationale, since
the guidance asks for the decision *and its rationale* to be in the record (§4, §6), and only items
named in the assessment.
"""

from dataclasses import dataclass

from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.vocabulary import AdviserRole, Outcome

OUTCOME_WORDS = {
    Outcome.SHARE: "share the information listed below",
    Outcome.SEEK_CONSENT: "not share yet, and seek the person's consent first",
    Outcome.CLARIFY: "not share yet, and ask the requestor to clarify their request",
    Outcome.ESCALATE: "not share yet, and refer the question to the IG team, DPO or Caldicott guardian",
    Outcome.DO_NOT_SHARE: "not share",
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
        f"Question: {a.kind.value.replace('_', ' ')} to {a.recipient.name} "
        f"({a.recipient.type.value.replace('_', ' ')}) for {a.purpose.value.replace('_', ' ')}.",
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
        lines.extend(
            f"- {w.id}: {descriptions[w.id]} ({w.reason.value.replace('_', ' ')})" for w in d.items_withheld
        )
    if d.missing:
        lines.append("Still needed:")
        lines.extend(f"- {m.text}" for m in d.missing)
    lines.append(f"Advice: {_advice_words(a)}.")
    return "\n".join(lines) + "\n"


def _consent_words(a: Assessment) -> str:
    c = a.consent
    words = c.status.value.replace("_", " ")
    if c.given_by is not None:
        words += f" by {c.given_by.value.replace('_', ' ')}"
    if c.reason_not_sought is not None:
        words += f" (reason: {c.reason_not_sought.value.replace('_', ' ')})"
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
