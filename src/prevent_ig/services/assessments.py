"""Recording a sharing assessment: the engine's decision stored whole, with the lead's own decision.

An assessment is never edited; a new one supersedes it, so the record shows what was known and
decided at each point.
"""

import json
from datetime import date
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from prevent_ig.adapters.records.tables import NAME, AssessmentRow, PartnerRequestRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law.assessment import Assessment
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.input_checks import AssessmentInputError, InputProblem, parse_assessment
from prevent_ig.domain.law.vocabulary import ConsentStatus, Kind, Purpose
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, parse_address
from prevent_ig.services.authority import standing
from prevent_ig.services.cases import age_on, date_of_birth, record_case_step
from prevent_ig.services.consents import CHANNEL_SUPPORT, SHARING, against_consent, consent_in_force
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError, ServiceError
from prevent_ig.services.governance import same_words
from prevent_ig.services.requests import CHECKLIST, clock_started


class LeadDecision(StrEnum):
    FOLLOW = "follow"
    DEPART = "depart"


class AssessmentInputProblemsError(ServiceError):
    """The assessment input breaks the contract; ``problems`` names each field."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


# Built once: constructing the statement costs several times more than running it.
_STANDING = (
    select(
        AssessmentRow.id,
        AssessmentRow.input["recipient"]["name"].as_string(),
        AssessmentRow.input["recipient"]["email"].as_string(),
    )
    .where(
        AssessmentRow.case_id == bindparam("case_id"),
        AssessmentRow.purpose == bindparam("purpose"),
        standing(),
    )
    .order_by(AssessmentRow.id.desc())
)
_STANDING_WITHOUT_REQUEST = _STANDING.where(AssessmentRow.request_id.is_(None))
_STANDING_FOR_REQUEST = _STANDING.where(AssessmentRow.request_id == bindparam("request_id"))


def record_assessment(
    *,
    uow: UnitOfWork,
    actor: str,
    case_id: int,
    assessment_json: str,
    config: EngineConfig,
    today: date,
    lead_decision: LeadDecision,
    lead_reason: str | None = None,
    request_id: int | None = None,
    supersedes_id: int | None = None,
) -> int:
    try:
        assessment = parse_assessment(assessment_json, decided_on=today)
    except AssessmentInputError as error:
        raise AssessmentInputProblemsError(error.problems) from None
    if len(assessment.recipient.name) > NAME:
        # A decision is acted on by disclosing to its recipient, and the disclosure keeps the name in a
        # column of NAME characters: refused now, not when someone comes to disclose.
        too_long = InputProblem("recipient.name", f"must be at most {NAME} characters")
        raise AssessmentInputProblemsError([too_long])
    if lead_decision is LeadDecision.DEPART and not (lead_reason and lead_reason.strip()):
        raise InvalidFieldError("lead_reason", "say why you depart from the engine's decision")
    request = partner_request_of_case(uow, case_id, request_id) if request_id is not None else None
    if problems := disagreements_with_the_records(
        uow=uow, case_id=case_id, assessment=assessment, today=today, request=request
    ):
        raise AssessmentInputProblemsError(problems)
    if supersedes_id is not None:
        earlier = uow.session.get(AssessmentRow, supersedes_id)
        if earlier is None or earlier.case_id != case_id:
            raise NotFoundError(f"assessment {supersedes_id} is not part of case {case_id}")
    else:
        supersedes_id = _standing_answer(uow, case_id, assessment, request_id)
    decision = assess(assessment, config, today=today)
    row = AssessmentRow(
        case_id=case_id,
        request_id=request_id,
        supersedes_id=supersedes_id,
        purpose=assessment.purpose.value,
        input=json.loads(assessment.model_dump_json()),
        output=json.loads(decision.model_dump_json()),
        rules_version=decision.rules_version,
        outcome=decision.outcome.value,
        decisive=decision.decisive.value,
        decided_on=today,
        decided_by=actor,
        decided_at=uow.now().replace(tzinfo=None),
        lead_decision=lead_decision.value,
        lead_reason=lead_reason,
        confidentiality_basis=decision.basis.confidentiality,
        awaits_advice=assessment.ig_advice is not None and assessment.ig_advice.supports_sharing is None,
    )
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:
        raise RefusedError(f"assessment {supersedes_id} has already been superseded") from None
    verb = "followed" if lead_decision is LeadDecision.FOLLOW else "departed from"
    record_case_step(
        uow,
        case_id=case_id,
        on=today,
        actor=actor,
        kind="assessment",
        summary=f"Assessment {row.id} ({assessment.purpose.value}): engine said "
        f"{decision.outcome.value}; lead {verb} it."
        + (f" Replaces assessment {supersedes_id}." if supersedes_id is not None else ""),
        event="case:assessment:create",
        entity=f"assessment:{row.id}",
        change={
            "input": row.input,
            "output": row.output,
            "lead_decision": lead_decision,
            "lead_reason": lead_reason,
            # Which request it answers and which decision it replaces are part of the record too.
            "request_id": request_id,
            "supersedes_id": supersedes_id,
        },
    )
    uow.commit()
    return row.id


def _standing_answer(
    uow: UnitOfWork, case_id: int, assessment: Assessment, request_id: int | None
) -> int | None:
    """The current decision on the same question (case, purpose, partner request and recipient), which
    a new one replaces. Reassessing (with the IG adviser's answer, say) asks the question again; were
    the earlier answer left standing, an earlier "share" could still be acted on after a later "do not
    share". The recipient is the same if named in the same words or reached at the same mailbox: a
    name is free text ("Northshire Police" for "Northshire Police Prevent Team"), and a mailbox is where
    the information would actually go; matched on the name alone, an earlier "share" whose message was
    still queued went out after the later "do not share". Reads ids, names and mailboxes only, not the
    stored decisions."""
    if request_id is None:
        standing = uow.session.execute(
            _STANDING_WITHOUT_REQUEST, {"case_id": case_id, "purpose": assessment.purpose}
        )
    else:
        standing = uow.session.execute(
            _STANDING_FOR_REQUEST,
            {"case_id": case_id, "purpose": assessment.purpose, "request_id": request_id},
        )
    for row_id, recipient, email in standing:
        if same_words(recipient or "", assessment.recipient.name) or _same_mailbox(
            assessment.recipient.email, email
        ):
            return int(row_id)
    return None


def partner_request_of_case(uow: UnitOfWork, case_id: int, request_id: int) -> PartnerRequestRow:
    request = uow.session.get(PartnerRequestRow, request_id)
    if request is None or request.case_id != case_id:
        raise NotFoundError(f"partner request {request_id} is not part of case {case_id}")
    return request


def disagreements_with_the_records(
    *,
    uow: UnitOfWork,
    case_id: int,
    assessment: Assessment,
    today: date,
    request: PartnerRequestRow | None = None,
) -> list[InputProblem]:
    """Where the answers contradict the case's own records. The engine decides on the answers alone,
    and the lawful basis turns on them: an age of 15 for someone the record shows is 36 reaches for the
    under-18 safeguarding condition and a parent's consent; "given" for a person whose recorded
    consent was withdrawn rests the decision on consent that is not there. Asked before a decision is
    shown as well as when it is recorded, so no page presents a decision built on such answers.

    ``request`` is the partner request the decision answers, if any: the decision must then be one on
    a request, received the day that request's clock last started, for its "respond by" counts from
    that day (rules step 8), and its request checks (step 2) are the request's to answer: the checklist
    and the powers cited as the request's record has them now (with what a clarification supplied),
    its purpose, and who asked, at the address the request came from, for that is where the answer
    goes and the request is marked answered when it is sent."""
    problems = []
    if request is not None:
        problems.extend(_disagreements_with_the_request(uow, assessment, request))
    if assessment.subject.age != age_on(date_of_birth(uow, case_id), today):
        problems.append(InputProblem("subject.age", "must agree with the date of birth on the case record"))
    if assessment.consent.status is ConsentStatus.GIVEN:
        problems.extend(_consent_disagreements(uow, case_id, assessment))
    return problems


def _disagreements_with_the_request(
    uow: UnitOfWork, assessment: Assessment, request: PartnerRequestRow
) -> list[InputProblem]:
    """Answers about the request that its own record contradicts, in the input's order. Without this a
    decision could tick every §5 check the request lacked and come out "share" where the rules say
    clarify first, or name another organisation's mailbox and send the pack there."""
    asked = f"request {request.id}"
    problems = []
    if assessment.kind is not Kind.REQUEST_RESPONSE or assessment.request is None:
        problems.append(
            InputProblem(
                "kind", f"must be 'request_response': the decision answers partner request {request.id}"
            )
        )
    if assessment.purpose.value != request.purpose:
        problems.append(InputProblem("purpose", f"must be '{request.purpose}', the purpose {asked} gave"))
    if assessment.recipient.type.value != request.recipient_type:
        problems.append(
            InputProblem(
                "recipient.type",
                f"must be '{request.recipient_type}', who made {asked}: the answer goes to them",
            )
        )
    if not _same_mailbox(assessment.recipient.email, request.email):
        problems.append(
            InputProblem(
                "recipient.email",
                f"must be {request.email}, the address {asked} came from: the answer goes there",
            )
        )
    if assessment.request is None:
        return problems
    started = clock_started(uow, request)
    if assessment.request.received != started:
        problems.append(
            InputProblem(
                "request.received",
                f"must be {started.isoformat()}, the day {asked}'s clock last started "
                "(its arrival, or the requestor's answer to a clarification)",
            )
        )
    for check in CHECKLIST:
        recorded = bool(getattr(request, check))
        if getattr(assessment.request, check) != recorded:
            problems.append(
                InputProblem(
                    f"request.{check}",
                    f"must agree with {asked}'s record, which says '{check}' is "
                    f"{'met' if recorded else 'not met'} (what a clarification supplies is recorded on "
                    "the request)",
                )
            )
    if set(assessment.request.legal_powers_cited) != set(request.legal_powers_cited):
        cited = ", ".join(request.legal_powers_cited) or "none"
        problems.append(
            InputProblem("request.legal_powers_cited", f"must be the powers {asked}'s record cites: {cited}")
        )
    return problems


def _same_mailbox(said: str | None, recorded: str | None) -> bool:
    """One mailbox however it is written: letters in any case, a domain in Unicode or in its xn-- form
    (requests keep the latter). Used both for "the same recipient" of a reassessment and for the
    requestor a decision on a request must answer. No address is no mailbox."""
    first, second = _mailbox(said), _mailbox(recorded)
    return first is not None and first == second


def _mailbox(email: str | None) -> str | None:
    """An address as compared: its xn-- form in one case; ``None`` for one that cannot be read as an
    address, which is no one's mailbox."""
    if email is None:
        return None
    try:
        return parse_address(email).idna_address.casefold()
    except MalformedAddressError:
        return None


def _consent_disagreements(uow: UnitOfWork, case_id: int, assessment: Assessment) -> list[InputProblem]:
    """Consent answered "given" against the case's consent records. For a Channel support plan the
    answer is the person's agreement to the support as well (rules step 1b reads it so), so the record
    of consent to Channel support must bear it out too, and it names who gave it: under 18 a parent
    agrees to the support though a capable child may agree to the sharing."""
    sharing = consent_in_force(uow, case_id, SHARING)
    channel = (
        consent_in_force(uow, case_id, CHANNEL_SUPPORT)
        if assessment.purpose is Purpose.SUPPORT_PLAN
        else None
    )
    for recorded in (channel, sharing):
        if lapsed := against_consent(recorded):
            return [
                InputProblem(
                    "consent.status",
                    f"the case's consent record says {lapsed}; record the consent again if it has been "
                    "given since",
                )
            ]
    giver = channel or sharing
    said = assessment.consent.given_by
    if giver is None or said is None or giver.given_by == said.value:
        return []
    whose = "it" if giver is sharing else "consent to Channel support"
    return [
        InputProblem("consent.given_by", f"must agree with who gave {whose} on the case's consent record")
    ]
