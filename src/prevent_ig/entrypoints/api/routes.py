"""API v1 endpoints: each a thin shell over a use case, with the web app's permissions."""

import json
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, TypeAdapter

from prevent_ig.adapters.records.tables import MAX_ID, AssessmentRow, Base, CaseRow, PartnerRequestRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.access import Permission
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.input_checks import AssessmentInputError, parse_assessment
from prevent_ig.domain.law.vocabulary import ConsentStatus
from prevent_ig.entrypoints.api.auth import ApiRouter, identity_of, records_of
from prevent_ig.entrypoints.api.problems import CONFLICT, PROBLEM_RESPONSES, problem
from prevent_ig.entrypoints.api.schemas import (
    AnswerIn,
    CaseIn,
    CaseState,
    ClarificationAnswerIn,
    ClarificationIn,
    ConsentIn,
    Created,
    DecisionIn,
    DecisionOut,
    DisclosureIn,
    DueOut,
    RequestIn,
    TransitionIn,
    VerificationOut,
    WithdrawalIn,
    WithdrawalOut,
)
from prevent_ig.services import audit as audit_service
from prevent_ig.services.assessments import LeadDecision, record_assessment
from prevent_ig.services.cases import NewSubject, due_items, list_cases, raise_concern, view_case
from prevent_ig.services.consents import NewConsent, record_consent, withdraw_consent
from prevent_ig.services.disclosures import ReleasedItem, record_disclosure
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError, StaleVersionError
from prevent_ig.services.pathway import advance_case
from prevent_ig.services.registers import with_registered_domains
from prevent_ig.services.requests import (
    NewPartnerRequest,
    ask_for_clarification,
    clarification_received,
    mark_answered,
    record_partner_request,
    row_clarifications,
)
from prevent_ig.services.views import CaseDetail, CaseSummary, DueItem, RequestView

router = ApiRouter(responses=PROBLEM_RESPONSES)
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
ASSESSMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SharingAssessmentInput"}}},
    }
}
DECISION_REF = {
    "200": {
        "description": "The decision",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SharingAssessmentOutput"}}},
    }
}


CommittedRow = TypeVar("CommittedRow", bound=Base)


@cache
def _list_of(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def as_json(value: BaseModel | Sequence[BaseModel], *, status_code: int = 200) -> Response:
    """Serialise the model the endpoint built once, here in the worker thread. Handing FastAPI the model
    would have it validated again and serialised on the event loop after another thread hand-off; the
    ``response_model`` each route declares still describes the body in the OpenAPI document."""
    if isinstance(value, BaseModel):
        body = value.__pydantic_serializer__.to_json(value)
    else:
        model: type[BaseModel] = type(value[0]) if value else BaseModel
        body = _list_of(model).dump_json(list(value))
    return Response(body, status_code=status_code, media_type="application/json")


def _committed(uow: UnitOfWork, row_type: type[CommittedRow], row_id: int) -> CommittedRow:
    """The row the use case just wrote and committed, from its session: nothing expires on commit, so
    the answer needs no second unit of work and no re-read."""
    row = uow.session.get(row_type, row_id)
    assert row is not None
    return row


def input_problem(problems: list[dict[str, str]], detail: str = "The input breaks the contract") -> Response:
    return problem(422, "invalid-input", "Invalid input", detail, problems)


@router.endpoint(
    "/assess",
    permission=Permission.ASSESSMENT_RUN,
    method="POST",
    openapi_extra=ASSESSMENT_BODY,
    responses=DECISION_REF,
    summary="Assess one sharing question (nothing is stored)",
)
async def assess_endpoint(request: Request) -> Response:
    try:
        today = records_of(request).today()
        assessment = parse_assessment(await request.body(), decided_on=today)
    except AssessmentInputError as error:
        return input_problem([p.as_dict() for p in error.problems])
    with records_of(request).new_unit_of_work() as uow:
        config = with_registered_domains(uow, records_of(request).engine_config)
        decision = assess(assessment, config, today=today)
        uow.audit.record(
            actor=identity_of(request).actor,
            event="api:assessment:run",
            change={"outcome": decision.outcome, "decisive": decision.decisive},
        )
        uow.commit()
    return as_json(decision)


@router.endpoint(
    "/cases",
    permission=Permission.CONCERN_RAISE,
    method="POST",
    status_code=201,
    response_model=Created,
    summary="Raise a concern (creates the subject and the case)",
)
def create_case(request: Request, body: CaseIn) -> Any:
    identity = identity_of(request)
    s = body.subject
    with records_of(request).new_unit_of_work() as uow:
        case_id = raise_concern(
            uow=uow,
            actor=identity.actor,
            concern=body.concern,
            owner=body.owner,
            on=records_of(request).today(),
            subject=NewSubject(
                role=s.role,
                given_name=s.given_name,
                family_name=s.family_name,
                date_of_birth=s.date_of_birth,
                address=s.address,
                nhs_number=s.nhs_number,
                adult_at_risk=s.adult_at_risk,
            ),
        )
    return as_json(Created(id=case_id), status_code=201)


@router.endpoint(
    "/cases",
    permission=Permission.CASE_VIEW_OWN,
    response_model=list[CaseSummary],
    summary="List the cases this token may see",
)
def cases(request: Request) -> Any:
    identity = identity_of(request)
    from prevent_ig.domain.access import allows  # noqa: PLC0415

    own = None if allows(identity.role, Permission.CASE_VIEW_ALL) else identity.actor
    with records_of(request).new_unit_of_work().reading() as uow:
        return as_json(list_cases(uow=uow, actor=identity.actor, raised_by=own))


@router.endpoint(
    "/cases/{case_id}",
    permission=Permission.CASE_VIEW_OWN,
    response_model=CaseDetail,
    summary="A case with its consents, requests, decisions, disclosures and timeline",
)
def case(request: Request, case_id: RecordId) -> Any:
    identity = identity_of(request)
    with records_of(request).new_unit_of_work().reading() as uow:
        return as_json(view_case(uow=uow, actor=identity.actor, case_id=case_id, role=identity.role))


@router.endpoint(
    "/cases/{case_id}/transitions",
    permission=Permission.CASE_MANAGE,
    method="POST",
    response_model=CaseState,
    summary="Move a case along the pathway (optimistic concurrency)",
    responses=CONFLICT,
)
def transition(request: Request, case_id: RecordId, body: TransitionIn) -> Any:
    identity = identity_of(request)
    config = records_of(request).engine_config
    try:
        with records_of(request).new_unit_of_work() as uow:
            advance_case(
                uow=uow,
                actor=identity.actor,
                case_id=case_id,
                move=body.move,
                on=body.on or records_of(request).today(),
                calendar=config.calendar,
                exit_reason=body.exit_reason,
                information_request_on=body.information_request_on,
                information_request_id=body.information_request_id,
                expected_version=body.version,
            )
            row = _committed(uow, CaseRow, case_id)
            state = CaseState(
                id=row.id,
                stage=row.stage,
                version=row.version,
                closed_on=row.closed_on,
                exit_reason=row.exit_reason,
                next_due_on=row.next_due_on,
            )
    except RefusedError as refusal:
        if isinstance(refusal, StaleVersionError):
            raise  # 409, as for every endpoint (app.py)
        return problem(422, "transition-refused", "Move not allowed", str(refusal))
    return as_json(state)


@router.endpoint(
    "/cases/{case_id}/requests",
    permission=Permission.REQUEST_MANAGE,
    method="POST",
    status_code=201,
    response_model=Created,
    summary="Record a partner's request",
)
def create_request(request: Request, case_id: RecordId, body: RequestIn) -> Any:
    identity = identity_of(request)
    with records_of(request).new_unit_of_work() as uow:
        request_id = record_partner_request(
            uow=uow,
            actor=identity.actor,
            case_id=case_id,
            calendar=records_of(request).engine_config.calendar,
            today=records_of(request).today(),
            request=NewPartnerRequest(**body.model_dump()),
        )
    return as_json(Created(id=request_id), status_code=201)


@router.endpoint(
    "/cases/{case_id}/consents",
    permission=Permission.CASE_MANAGE,
    method="POST",
    status_code=201,
    response_model=Created,
    summary="Record consent, to sharing or to Channel support",
)
def create_consent(request: Request, case_id: RecordId, body: ConsentIn) -> Any:
    with records_of(request).new_unit_of_work() as uow:
        consent_id = record_consent(
            uow=uow,
            actor=identity_of(request).actor,
            case_id=case_id,
            on=records_of(request).today(),
            consent=NewConsent(**{**body.model_dump(), "status": ConsentStatus(body.status)}),
        )
    return as_json(Created(id=consent_id), status_code=201)


@router.endpoint(
    "/cases/{case_id}/consents/{consent_id}/withdrawal",
    permission=Permission.CASE_MANAGE,
    method="POST",
    response_model=WithdrawalOut,
    responses=CONFLICT,
    summary="Record that consent was withdrawn; for consent to sharing, flags the case's disclosures",
)
def create_withdrawal(request: Request, case_id: RecordId, consent_id: RecordId, body: WithdrawalIn) -> Any:
    today = records_of(request).today()
    if body.on is not None and body.on > today:
        raise InvalidFieldError("on", "cannot be in the future")
    with records_of(request).new_unit_of_work() as uow:
        withdrawn = withdraw_consent(
            uow=uow,
            actor=identity_of(request).actor,
            case_id=case_id,
            consent_id=consent_id,
            on=body.on or today,
        )
    return as_json(
        WithdrawalOut(
            consent_id=withdrawn.consent_id,
            scope=withdrawn.scope,
            flagged_disclosures=withdrawn.flagged_disclosures,
        )
    )


@router.endpoint(
    "/requests/{request_id}",
    permission=Permission.REQUEST_MANAGE,
    response_model=RequestView,
    summary="A partner request with its checklist and due date",
)
def get_request(request: Request, request_id: RecordId) -> Any:
    identity = identity_of(request)
    with records_of(request).new_unit_of_work().reading() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        if row is None:
            raise NotFoundError(f"partner request {request_id} does not exist")
        asked = sorted(row_clarifications(uow, row.id), key=lambda c: c.id)
        view = RequestView(
            **{k: getattr(row, k) for k in RequestView.model_fields if k != "clarifications"},
            # The same entries as the case view gives each of its requests.
            clarifications=[
                {"id": c.id, "sent_on": c.sent_on, "missing": c.missing, "resolved_on": c.resolved_on}
                for c in asked
            ],
        )
        uow.audit.record(
            actor=identity.actor, event="case:request:view", case_id=row.case_id, entity=f"request:{row.id}"
        )
        uow.commit()
    return as_json(view)


@router.endpoint(
    "/requests/{request_id}/clarifications",
    permission=Permission.REQUEST_MANAGE,
    method="POST",
    status_code=201,
    response_model=Created,
    responses=CONFLICT,
    summary="Ask the requestor to clarify: the request's clock stops until they answer",
)
def create_clarification(request: Request, request_id: RecordId, body: ClarificationIn) -> Any:
    with records_of(request).new_unit_of_work() as uow:
        clarification_id = ask_for_clarification(
            uow=uow,
            actor=identity_of(request).actor,
            request_id=request_id,
            missing=body.missing,
            on=body.on or records_of(request).today(),
        )
    return as_json(Created(id=clarification_id), status_code=201)


@router.endpoint(
    "/requests/{request_id}/clarification-answer",
    permission=Permission.REQUEST_MANAGE,
    method="POST",
    response_model=DueOut,
    responses=CONFLICT,
    summary="The requestor answered a clarification: the 5 working days start again from the answer",
)
def create_clarification_answer(request: Request, request_id: RecordId, body: ClarificationAnswerIn) -> Any:
    with records_of(request).new_unit_of_work() as uow:
        due_on = clarification_received(
            uow=uow,
            actor=identity_of(request).actor,
            request_id=request_id,
            on=body.on or records_of(request).today(),
            calendar=records_of(request).engine_config.calendar,
            supplied=body.supplied,
            powers=body.powers,
        )
    return as_json(DueOut(due_on=due_on))


@router.endpoint(
    "/requests/{request_id}/answer",
    permission=Permission.REQUEST_MANAGE,
    method="POST",
    status_code=204,
    responses=CONFLICT,
    summary="Record that the answer went to the requestor: the request leaves the due list",
)
def create_answer(request: Request, request_id: RecordId, body: AnswerIn) -> Response:
    with records_of(request).new_unit_of_work() as uow:
        mark_answered(
            uow=uow,
            actor=identity_of(request).actor,
            request_id=request_id,
            on=body.on or records_of(request).today(),
        )
    return Response(status_code=204)


def _decision_out(row: AssessmentRow) -> DecisionOut:
    return DecisionOut(
        id=row.id,
        case_id=row.case_id,
        purpose=row.purpose,
        outcome=row.outcome,
        decisive=row.decisive,
        lead_decision=row.lead_decision,
        decided_on=row.decided_on,
        decided_by=row.decided_by,
        output=row.output,
    )


@router.endpoint(
    "/cases/{case_id}/decisions",
    permission=Permission.ASSESSMENT_RUN,
    method="POST",
    status_code=201,
    response_model=DecisionOut,
    summary="Assess and record the lead's decision",
    responses=CONFLICT,
)
def create_decision(request: Request, case_id: RecordId, body: DecisionIn) -> Any:
    identity = identity_of(request)
    with records_of(request).new_unit_of_work() as uow:
        decision_id = record_assessment(
            uow=uow,
            actor=identity.actor,
            case_id=case_id,
            assessment_json=json.dumps(body.assessment),
            config=with_registered_domains(uow, records_of(request).engine_config),
            today=records_of(request).today(),
            lead_decision=LeadDecision(body.lead_decision),
            lead_reason=body.lead_reason,
            request_id=body.request_id,
            supersedes_id=body.supersedes_id,
        )
        out = _decision_out(_committed(uow, AssessmentRow, decision_id))
    return as_json(out, status_code=201)


@router.endpoint(
    "/decisions/{decision_id}",
    permission=Permission.CASE_VIEW_ALL,
    response_model=DecisionOut,
    summary="A recorded decision with the engine's full output",
)
def get_decision(request: Request, decision_id: RecordId) -> Any:
    identity = identity_of(request)
    with records_of(request).new_unit_of_work().reading() as uow:
        row = uow.session.get(AssessmentRow, decision_id)
        if row is None:
            raise NotFoundError(f"decision {decision_id} does not exist")
        out = _decision_out(row)
        uow.audit.record(
            actor=identity.actor,
            event="case:assessment:view",
            case_id=row.case_id,
            entity=f"assessment:{row.id}",
        )
        uow.commit()
    return as_json(out)


@router.endpoint(
    "/decisions/{decision_id}/disclosures",
    permission=Permission.CASE_MANAGE,
    method="POST",
    status_code=201,
    response_model=Created,
    summary="Record a disclosure of exactly the released items",
    responses=CONFLICT,
)
def create_disclosure(request: Request, decision_id: RecordId, body: DisclosureIn) -> Any:
    identity = identity_of(request)
    with records_of(request).new_unit_of_work() as uow:
        disclosure_id = record_disclosure(
            uow=uow,
            actor=identity.actor,
            assessment_id=decision_id,
            method=body.method,
            on=body.on or records_of(request).today(),
            items=[ReleasedItem(id=i.id, content=i.content) for i in body.items],
        )
    return as_json(Created(id=disclosure_id), status_code=201)


@router.endpoint(
    "/due",
    permission=Permission.DASHBOARD_VIEW,
    response_model=list[DueItem],
    summary="Overdue items first, then those due within the window (working days)",
)
def due(request: Request, within: Annotated[int, Query(ge=0, le=260)] = 10) -> Any:
    identity = identity_of(request)
    with records_of(request).new_unit_of_work().reading() as uow:
        return as_json(
            due_items(
                uow=uow,
                actor=identity.actor,
                today=records_of(request).today(),
                within_working_days=within,
                calendar=records_of(request).engine_config.calendar,
            )
        )


@router.endpoint(
    "/audit/verify",
    permission=Permission.AUDIT_VIEW,
    response_model=VerificationOut,
    summary="Verify the whole audit chain",
)
def verify(request: Request) -> Any:
    with records_of(request).new_unit_of_work().reading(streaming=True) as uow:
        result = audit_service.verify(uow=uow)
        uow.audit.record(actor=identity_of(request).actor, event="audit:chain:verify")
        uow.commit()
    return as_json(
        VerificationOut(
            ok=result.ok,
            count=result.count,
            head=result.head,
            first_broken_seq=result.first_broken_seq,
            problem=result.problem,
        )
    )


__all__ = ["JSONResponse", "router"]
