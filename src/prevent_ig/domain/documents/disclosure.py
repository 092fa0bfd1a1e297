"""The disclosure pack: a cover sheet and the released items, and nothing else.

The pack is built from the released items alone; withheld items are never passed in, so they cannot
leak into it by a template mistake. The cover sheet names its lawful basis from the provisions
catalogue, so the recipient sees the same provision ids the decision cites.
"""

from dataclasses import dataclass
from datetime import date

from prevent_ig.domain.documents.model import Document, DocumentKind, Entry, Section
from prevent_ig.domain.documents.referral_form import long_date
from prevent_ig.domain.law.catalogue import load_catalogue
from prevent_ig.domain.law.vocabulary import Purpose

TEMPLATE = "disclosure-pack v1"

PURPOSE_WORDS = {
    Purpose.PREVENT_REFERRAL: "a Prevent referral",
    Purpose.POLICE_SCREENING: "police screening of a Prevent referral",
    Purpose.CHANNEL_INFORMATION_GATHERING: "multi-agency information gathering for a Channel panel",
    Purpose.CHANNEL_PANEL: "a Channel panel meeting",
    Purpose.SUPPORT_PLAN: "a Channel support plan",
    Purpose.CRIME_PREVENTION: "preventing or detecting crime",
    Purpose.SAFEGUARDING: "safeguarding",
}

HANDLING = (
    "OFFICIAL-SENSITIVE: keep and send this pack only on systems approved for that marking.",
    "Use it only for the purpose stated above, and show it only to people who need it for that purpose.",
    "Ask us before passing any of it to another organisation.",
    "Keep it no longer than that purpose needs, then destroy it securely.",
    "If it reached you in error, tell the sender at once and delete it; do not read further or forward it.",
    "If the person later withdraws consent, or the information changes, we will tell you.",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFacts:
    request_id: int
    organisation: str
    person: str
    received_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleasedContent:
    id: str
    description: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DisclosureFacts:
    case_id: int
    assessment_id: int
    decided_on: date
    recipient_name: str
    recipient_email: str | None
    purpose: Purpose
    basis_ids: tuple[str, ...]
    request: RequestFacts | None
    released: tuple[ReleasedContent, ...]
    """Only the released items, in the order the decision lists them."""


def disclosure_pack(facts: DisclosureFacts, *, reference: str, issued_on: date) -> Document:
    catalogue = load_catalogue()
    recipient = [Entry(label="Organisation", value=facts.recipient_name)]
    if facts.request is not None:
        recipient.append(Entry(label="For the attention of", value=facts.request.person))
    recipient.append(Entry(label="Email", value=facts.recipient_email))
    about = [
        Entry(label="Purpose", value=f"Shared for {PURPOSE_WORDS[facts.purpose]}."),
        Entry(label="Our references", value=f"case {facts.case_id}, assessment {facts.assessment_id}"),
        Entry(label="Decided on", value=long_date(facts.decided_on)),
    ]
    if facts.request is not None:
        about.insert(
            0,
            Entry(
                label="Your request",
                value=f"received {long_date(facts.request.received_on)} "
                f"(our request number {facts.request.request_id})",
            ),
        )
    basis = tuple(f"{pid}: {catalogue.get(pid).title}" for pid in facts.basis_ids)
    sections = [
        Section(title="Recipient", entries=tuple(recipient)),
        Section(title="About this disclosure", entries=tuple(about)),
        Section(
            title="Lawful basis",
            paragraphs=("We share this information relying on the following provisions:",),
            bullets=basis,
        ),
        Section(title="Handling instructions", bullets=HANDLING),
        Section(
            title="Information released",
            entries=tuple(Entry(label=item.description, value=item.content) for item in facts.released),
        ),
    ]
    return Document(
        kind=DocumentKind.DISCLOSURE,
        reference=reference,
        title="Disclosure of information for Prevent",
        issued_on=issued_on,
        template=TEMPLATE,
        sections=tuple(sections),
    )
