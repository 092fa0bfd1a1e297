"""Issuing documents from the records: the referral form, the disclosure pack, the clarification
letter, the record note and the Caldicott log entry.

Each document gets a register entry (reference, what it was built from, a hash of its bytes) and an
audit event in the same transaction as it is produced, so there is no document without a trace and
no trace of a document that was never produced. Only a followed decision to share produces a
referral or a disclosure pack, and the pack is built from the released items alone.
"""

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select

from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    ContactRow,
    DisclosureRow,
    DocumentRow,
    PartnerRequestRow,
    ReferralAnswersRow,
    UserRow,
)
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.documents.disclosure import (
    DisclosureFacts,
    ReleasedContent,
    RequestFacts,
    disclosure_pack,
)
from prevent_ig.domain.documents.letters import (
    CaldicottDraft,
    LeadDecision,
    NotApplicableError,
    caldicott_document,
    caldicott_draft,
    clarification_letter,
    record_note_document,
    requestor_gaps,
)
from prevent_ig.domain.documents.model import Document, DocumentKind, document_reference
from prevent_ig.domain.documents.referral_form import (
    AnswersError,
    ContactFacts,
    ReferralFacts,
    ReferralFormIncompleteError,
    check_answers,
    fill_referral_form,
    load_referral_form,
)
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.vocabulary import ConsentStatus, Kind, Purpose
from prevent_ig.services import requests
from prevent_ig.services.authority import (
    CONSENT_BASIS,
    current_assessments,
    superseded_by,
    why_not_authorised,
)
from prevent_ig.services.cases import get_case_row
from prevent_ig.services.disclosures import ReleasedItem, content_problem
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.transactions import enlisted

TEXT = "text/plain"
CONSENT_WORDS = {
    ConsentStatus.GIVEN: "Given",
    ConsentStatus.REFUSED: "Refused",
    ConsentStatus.WITHDRAWN: "Withdrawn",
    ConsentStatus.NOT_SOUGHT: "Not sought",
}


class DocumentRenderer(Protocol):
    """Lays a document out as bytes (the PDF adapter, or a fake in tests)."""

    media_type: str

    def render(self, document: Document) -> bytes: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedDocument:
    id: int
    reference: str
    kind: DocumentKind
    case_id: int
    assessment_id: int | None
    media_type: str
    content: bytes
    text: str
    """The same content as plain text (what a clinical system or terminal takes)."""

    @property
    def filename(self) -> str:
        return f"{self.reference}.{'pdf' if self.media_type == 'application/pdf' else 'txt'}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stored:
    """A stored assessment read back into the engine's own models."""

    row: AssessmentRow
    assessment: Assessment
    decision: Decision


# --- referral form answers ---------------------------------------------------------------------------


def save_referral_answers(
    *, uow: UnitOfWork, actor: str, case_id: int, answers: Mapping[str, object]
) -> dict[str, str]:
    """Keep the lead's answers to the form's own questions; replaces earlier answers for the case."""
    form = load_referral_form()
    try:
        cleaned = check_answers(form, answers)
    except AnswersError as error:
        raise InvalidFieldError(error.field, error.message) from None
    case = get_case_row(uow, case_id)
    row = uow.session.scalar(select(ReferralAnswersRow).where(ReferralAnswersRow.case_id == case.id))
    now = uow.now().replace(tzinfo=None)
    if row is None:
        row = ReferralAnswersRow(case_id=case.id, form_version=form.version, answers=cleaned)
        uow.session.add(row)
    row.form_version = form.version
    row.answers = cleaned
    row.updated_at = now
    row.updated_by = actor
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        event="case:referral:update",
        case_id=case.id,
        entity=f"referral_answers:{row.id}",
        change={"form_version": form.version, "answers": cleaned},
    )
    uow.commit()
    return cleaned


# --- issuing -------------------------------------------------------------------------------------------


def issue_referral(
    *, uow: UnitOfWork, actor: str, case_id: int, on: date, renderer: DocumentRenderer
) -> IssuedDocument:
    issued = referral_in_transaction(uow=uow, actor=actor, case_id=case_id, on=on, renderer=renderer)
    uow.commit()
    return issued


def referral_in_transaction(
    *, uow: UnitOfWork, actor: str, case_id: int, on: date, renderer: DocumentRenderer
) -> IssuedDocument:
    """The referral form for the case's current decision to refer; the caller commits."""
    case = get_case_row(uow, case_id)
    stored = current_referral(uow, case.id)
    facts = _referral_facts(uow, stored)
    form = load_referral_form()

    def build(reference: str) -> Document:
        try:
            return fill_referral_form(form, facts, reference=reference, issued_on=on)
        except ReferralFormIncompleteError as error:
            first, *rest = error.problems
            also = "".join(f"; also referral.{p.field}: {p.message}" for p in rest)
            raise InvalidFieldError(f"referral.{first.field}", first.message + also) from None

    return _issue(
        uow,
        actor=actor,
        kind=DocumentKind.REFERRAL,
        case_id=case.id,
        stored=stored,
        on=on,
        build=build,
        renderer=renderer,
    )


def issue_disclosure_pack(
    *,
    uow: UnitOfWork,
    actor: str,
    assessment_id: int,
    on: date,
    renderer: DocumentRenderer,
    items: list[ReleasedItem] | None = None,
) -> IssuedDocument:
    """The pack for a share decision. Without ``items``, the contents of the disclosure already
    recorded for this assessment are used, so a sent pack can be produced again exactly."""
    issued = disclosure_pack_in_transaction(
        uow=uow, actor=actor, assessment_id=assessment_id, on=on, renderer=renderer, items=items
    )
    uow.commit()
    return issued


def disclosure_pack_in_transaction(
    *,
    uow: UnitOfWork,
    actor: str,
    assessment_id: int,
    on: date,
    renderer: DocumentRenderer,
    items: list[ReleasedItem] | None,
) -> IssuedDocument:
    stored = authorising_assessment(uow, assessment_id)
    if stored.assessment.kind is Kind.REFERRAL:
        raise RefusedError(f"assessment {assessment_id} is a referral: issue the referral form for its case")
    contents = released_contents(uow, stored, items)
    request = None
    if stored.row.request_id is not None:
        request = _request_facts(uow, stored.row.request_id)
    facts = DisclosureFacts(
        case_id=stored.row.case_id,
        assessment_id=stored.row.id,
        decided_on=stored.decision.decided_on,
        recipient_name=stored.assessment.recipient.name,
        recipient_email=stored.assessment.recipient.email,
        purpose=stored.assessment.purpose,
        basis_ids=tuple(stored.decision.basis.provision_ids()),
        request=request,
        released=contents,
    )
    return _issue(
        uow,
        actor=actor,
        kind=DocumentKind.DISCLOSURE,
        case_id=stored.row.case_id,
        stored=stored,
        on=on,
        build=lambda reference: disclosure_pack(facts, reference=reference, issued_on=on),
        renderer=renderer,
    )


def issue_clarification_letter(
    *, uow: UnitOfWork, actor: str, assessment_id: int, on: date, renderer: DocumentRenderer
) -> IssuedDocument:
    """The letter tells the requestor that nothing will be shared until they reply and that the 5
    working days run from their complete reply, so the record must say the same: for an open request,
    issuing it asks for the clarification (``requests.ask_for_clarification``, listing the points the
    letter lists) in the same transaction, and the clock stops. A letter issued again while the
    request awaits the reply asks nothing more. An answered request has nothing left to clarify, and a
    decision replaced by another, or made before the requestor's last answer, no longer says what the
    request lacks: the letter is refused for each."""
    stored = _stored(uow, assessment_id)
    request_id = stored.row.request_id
    if request_id is None:
        raise RefusedError(
            f"assessment {assessment_id} answers no partner request: there is no one to write to"
        )
    try:
        gaps = requestor_gaps(stored.decision, assessment_id)
    except NotApplicableError as error:
        raise RefusedError(str(error)) from None
    row = uow.session.get(PartnerRequestRow, request_id)
    if row is None:
        raise NotFoundError(f"partner request {request_id} does not exist")
    if row.status == "answered":
        raise RefusedError(
            f"request {request_id} was answered on {row.answered_on}: there is nothing left to ask the "
            "requestor to clarify"
        )
    _check_still_says_what_is_missing(uow, stored, request_id)
    if row.status != "awaiting_clarification":
        # Refuses, naming the status, any request that is not open.
        requests.ask_for_clarification(
            uow=enlisted(uow),
            actor=actor,
            request_id=request_id,
            missing=[gap.code.value for gap in gaps],
            on=on,
        )
    request = _request_facts(uow, request_id)

    def build(reference: str) -> Document:
        return clarification_letter(
            request=request,
            purpose=stored.assessment.purpose,
            decision=stored.decision,
            assessment_id=assessment_id,
            reference=reference,
            issued_on=on,
        )

    issued = _issue(
        uow,
        actor=actor,
        kind=DocumentKind.CLARIFICATION,
        case_id=stored.row.case_id,
        stored=stored,
        on=on,
        build=build,
        renderer=renderer,
    )
    uow.commit()
    return issued


def _check_still_says_what_is_missing(uow: UnitOfWork, stored: Stored, request_id: int) -> None:
    """Refuse a letter from a decision that no longer judges the request as it stands: one a later
    decision replaced, or one made on the request as it was before the requestor last answered a
    clarification (their answer may have supplied what it lists, and asking again would stop the
    clock for nothing). A decision on a request counts from the day its clock last started
    (``request.received``, services/assessments), so an answer after that day came after it."""
    assessment = stored.row
    if (replaced_by := superseded_by(uow, assessment.id)) is not None:
        raise RefusedError(
            f"assessment {assessment.id} was replaced by assessment {replaced_by}, which judges the "
            "request now"
        )
    answered = [
        c.resolved_on for c in requests.row_clarifications(uow, request_id) if c.resolved_on is not None
    ]
    counted_from = stored.assessment.request.received if stored.assessment.request else assessment.decided_on
    if answered and max(answered) > counted_from:
        raise RefusedError(
            f"assessment {assessment.id} judged request {request_id} as it was before the requestor "
            f"answered on {max(answered)}: assess the request again on what it now says"
        )


def issue_record_note(
    *, uow: UnitOfWork, actor: str, assessment_id: int, on: date, renderer: DocumentRenderer | None = None
) -> IssuedDocument:
    """The note for the patient, service user or staff record, with the lead's own decision."""
    stored = _stored(uow, assessment_id)
    row = stored.row

    lead = LeadDecision(
        decided_by=row.decided_by, followed=row.lead_decision == "follow", reason=row.lead_reason
    )

    def build(reference: str) -> Document:
        return record_note_document(
            stored.assessment, stored.decision, lead=lead, author=None, reference=reference, issued_on=on
        )

    issued = _issue(
        uow,
        actor=actor,
        kind=DocumentKind.RECORD_NOTE,
        case_id=row.case_id,
        stored=stored,
        on=on,
        build=build,
        renderer=renderer,
    )
    uow.commit()
    return issued


def draft_caldicott_entry(
    *, uow: UnitOfWork, actor: str, assessment_id: int, on: date, renderer: DocumentRenderer | None = None
) -> tuple[CaldicottDraft, IssuedDocument]:
    stored = _stored(uow, assessment_id)
    try:
        draft = caldicott_draft(
            stored.assessment,
            stored.decision,
            case_id=stored.row.case_id,
            assessment_id=assessment_id,
            lead_decision=stored.row.lead_decision,
            lead_reason=stored.row.lead_reason,
        )
    except NotApplicableError as error:
        raise RefusedError(str(error)) from None
    issued = _issue(
        uow,
        actor=actor,
        kind=DocumentKind.CALDICOTT_ENTRY,
        case_id=stored.row.case_id,
        stored=stored,
        on=on,
        build=lambda reference: caldicott_document(draft, reference=reference, issued_on=on),
        renderer=renderer,
    )
    uow.commit()
    return draft, issued


# --- shared steps ---------------------------------------------------------------------------------------


def _issue(
    uow: UnitOfWork,
    *,
    actor: str,
    kind: DocumentKind,
    case_id: int,
    stored: Stored | None,
    on: date,
    build: Callable[[str], Document],
    renderer: DocumentRenderer | None,
) -> IssuedDocument:
    """Register, build, render and audit one document; the register's id makes the reference."""
    media_type = renderer.media_type if renderer is not None else TEXT
    row = DocumentRow(
        reference=f"pending-{uuid.uuid4().hex}",  # unique until the id is known, so issuers never wait
        kind=kind.value,
        case_id=case_id,
        assessment_id=stored.row.id if stored else None,
        template="",  # known once the document is built
        media_type=media_type,
        issued_on=on,
        created_at=uow.now().replace(tzinfo=None),
        created_by=actor,
    )
    uow.session.add(row)
    uow.session.flush()
    row.reference = document_reference(kind, row.id)
    document = build(row.reference)
    row.template = document.template
    text = document.plain_text()
    content = renderer.render(document) if renderer is not None else text.encode()
    row.sha256 = hashlib.sha256(content).hexdigest()
    row.size = len(content)
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        event="case:document:create",
        case_id=case_id,
        entity=f"document:{row.id}",
        change={
            "kind": kind.value,
            "reference": row.reference,
            "sha256": row.sha256,
            "template": row.template,
        },
    )
    return IssuedDocument(
        id=row.id,
        reference=row.reference,
        kind=kind,
        case_id=case_id,
        assessment_id=row.assessment_id,
        media_type=media_type,
        content=content,
        text=text,
    )


def _stored(uow: UnitOfWork, assessment_id: int) -> Stored:
    row = uow.session.get(AssessmentRow, assessment_id)
    if row is None:
        raise NotFoundError(f"assessment {assessment_id} does not exist")
    return Stored(
        row=row,
        assessment=Assessment.model_validate_json(json.dumps(row.input)),
        decision=Decision.model_validate_json(json.dumps(row.output)),
    )


def authorising_assessment(uow: UnitOfWork, assessment_id: int) -> Stored:
    """The assessment, if it is a current, followed decision to share; otherwise a refusal."""
    stored = _stored(uow, assessment_id)
    if (refusal := why_not_authorised(uow, stored.row)) is not None:
        raise RefusedError(refusal)
    return stored


def current_referral(uow: UnitOfWork, case_id: int) -> Stored:
    """The case's latest current decision on referral, if it authorises referring; otherwise a refusal.
    The latest, not the latest that said share: the referral page shows the latest, and a later "do
    not share" must stop the form an earlier decision allowed."""
    current = current_assessments(uow, case_id, Purpose.PREVENT_REFERRAL)
    if not current:
        raise RefusedError(
            f"case {case_id} has no current decision to refer (a followed 'share' assessment for "
            "prevent_referral); record one first"
        )
    return authorising_assessment(uow, current[-1].id)


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An item the decision to refer did not release, as the referral page names it to the lead."""

    description: str
    category: str
    reason: str


def left_out_of_referral(*, uow: UnitOfWork, actor: str, case_id: int) -> list[LeftOut]:
    """What the case's current decision to refer withheld; empty when no decision authorises one.

    The form leaves out the questions tied to a withheld category (``referral_form_vN.yaml``), but the
    concern and the lead's free-text answers go as written, and no rule can read them for what they
    say. So the referral page names what was withheld, for the lead to read them for it before the
    form goes (Caldicott principle 3, guidance §5: no more than the decision released)."""
    try:
        stored = current_referral(uow, case_id)
    except RefusedError:
        return []
    described = {item.id: item for item in stored.assessment.items}
    left = [
        LeftOut(
            description=described[w.id].description,
            category=described[w.id].category.value,
            reason=w.reason.value,
        )
        for w in stored.decision.items_withheld
    ]
    uow.audit.record(
        actor=actor, event="case:assessment:view", case_id=case_id, entity=f"assessment:{stored.row.id}"
    )
    uow.commit()
    return left


def register_contacts(uow: UnitOfWork) -> dict[str, list[ContactFacts]]:
    """The contacts register by role, in the order the entries were added. The referral form's
    ``contact.ROLE`` fallbacks take the first of a role; the referral page names it, and says when
    the register holds others, so the lead sees who the form will name before it goes."""
    contacts: dict[str, list[ContactFacts]] = {}
    for contact in uow.session.scalars(select(ContactRow).order_by(ContactRow.id)):
        contacts.setdefault(contact.role, []).append(
            ContactFacts(name=contact.name, email=contact.email, phone=contact.phone)
        )
    return contacts


def _name_of(uow: UnitOfWork, username: str) -> str:
    """The name an account holder goes by, for a form read outside the organisation: a police officer
    cannot reach "clinician.a". A case raised from the CLI may name no account; its name stands."""
    found = uow.session.scalar(select(UserRow.display_name).where(UserRow.username == username))
    return found or username


def _referral_facts(uow: UnitOfWork, stored: Stored) -> ReferralFacts:
    case = get_case_row(uow, stored.row.case_id)
    subject = case.subject
    a, d = stored.assessment, stored.decision
    released = {item.category for item in a.items if item.id in d.items_to_share}
    answers_row = uow.session.scalar(select(ReferralAnswersRow).where(ReferralAnswersRow.case_id == case.id))
    contacts = {role: found[0] for role, found in register_contacts(uow).items()}
    return ReferralFacts(
        case_id=case.id,
        concern=case.concern,
        raised_by=_name_of(uow, case.raised_by),
        owner=case.owner,
        opened_on=case.opened_on,
        subject_name=f"{subject.given_name} {subject.family_name}",
        subject_date_of_birth=subject.date_of_birth,
        subject_nhs_number=subject.nhs_number,
        subject_address=subject.address,
        subject_role=subject.role,
        assessment_id=stored.row.id,
        decided_on=d.decided_on,
        consent_words=_consent_words(a, rests_on_consent=d.basis.confidentiality == CONSENT_BASIS),
        # The form says "with consent" only when the decision rests on it: consent recorded as given by
        # someone who could not give it (a parent for an adult) is no basis, and the police must see
        # the referral is made without consent and why.
        consent_given=d.basis.confidentiality == CONSENT_BASIS,
        rationale=a.grounds.rationale,
        basis_ids=tuple(d.basis.provision_ids()),
        released_categories=frozenset(released),
        answers={k: str(v) for k, v in (answers_row.answers if answers_row else {}).items()},
        contacts=contacts,
    )


def _consent_words(a: Assessment, *, rests_on_consent: bool) -> str:
    c = a.consent
    words = CONSENT_WORDS[c.status]
    if c.given_by is not None:
        words += (
            f" by {'the person' if c.given_by.value == 'subject' else c.given_by.value.replace('_', ' ')}"
        )
    if c.reason_not_sought is not None:
        words += f" (reason: {c.reason_not_sought.value.replace('_', ' ')})"
    if c.status is ConsentStatus.GIVEN and not rests_on_consent:
        words += ", but not consent the law counts for this person: the referral is made without consent"
    return words


def released_contents(
    uow: UnitOfWork, stored: Stored, items: list[ReleasedItem] | None
) -> tuple[ReleasedContent, ...]:
    """Each released item with its content, in the decision's order: as given, or (``None``) as
    recorded in the latest disclosure for the assessment."""
    released = list(stored.decision.items_to_share)
    descriptions = {item.id: item.description for item in stored.assessment.items}
    if items is None:
        recorded = uow.session.scalars(
            select(DisclosureRow)
            .where(DisclosureRow.assessment_id == stored.row.id)
            .order_by(DisclosureRow.id.desc())
        ).first()
        if recorded is None:
            raise InvalidFieldError(
                "items",
                f"give the content of each released item ({', '.join(released)}); nothing was sent yet",
            )
        contents = {item["id"]: str(item["content"]) for item in recorded.items}
    else:
        contents = checked_items(released, items, stored)
    return tuple(ReleasedContent(id=i, description=descriptions[i], content=contents[i]) for i in released)


def checked_items(released: list[str], items: list[ReleasedItem], stored: Stored) -> dict[str, str]:
    """Exactly the released items, each once and with content; a withheld item is named and refused."""
    withheld = {w.id for w in stored.decision.items_withheld}
    known = {item.id for item in stored.assessment.items}
    seen: dict[str, str] = {}
    for item in items:
        if item.id in withheld:
            raise RefusedError(
                f"item {item.id} was withheld by assessment {stored.row.id} and may never be sent"
            )
        if item.id not in known:
            raise InvalidFieldError(f"items.{item.id}", f"is not an item of assessment {stored.row.id}")
        if item.id in seen:
            raise InvalidFieldError(f"items.{item.id}", "is given more than once")
        if (problem := content_problem(item.content)) is not None:
            raise InvalidFieldError(f"items.{item.id}", problem)
        seen[item.id] = item.content.strip()
    absent = [i for i in released if i not in seen]
    if absent:
        raise InvalidFieldError(f"items.{absent[0]}", "is released by the assessment: give its content")
    return seen


def _request_facts(uow: UnitOfWork, request_id: int) -> RequestFacts:
    request = uow.session.get(PartnerRequestRow, request_id)
    if request is None:
        raise NotFoundError(f"partner request {request_id} does not exist")
    return RequestFacts(
        request_id=request.id,
        organisation=request.organisation,
        person=request.person,
        received_on=request.received_on,
    )
