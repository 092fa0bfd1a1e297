"""Journey 2: "Should I share?" — the guided interview, check your answers, the decision and the
lead's own decision, recorded with the engine's output."""

import json
import re
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.adapters.records.tables import PartnerRequestRow
from prevent_ig.domain.access import Permission
from prevent_ig.domain.law.catalogue import load_catalogue
from prevent_ig.domain.law.decision import Decision
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.input_checks import AssessmentInputError, InputProblem, parse_assessment
from prevent_ig.domain.law.record_note import NoteAuthor, render_record_note
from prevent_ig.domain.law.vocabulary import ItemCategory
from prevent_ig.domain.pathway.request_clock import clock_started
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, check_email
from prevent_ig.entrypoints.web import interview
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.case_access import load_case_for
from prevent_ig.entrypoints.web.engine_config import engine_config_for
from prevent_ig.entrypoints.web.templating import render
from prevent_ig.services.assessments import (
    AssessmentInputProblemsError,
    LeadDecision,
    disagreements_with_the_records,
    record_assessment,
)
from prevent_ig.services.cases import age_on
from prevent_ig.services.errors import ServiceError

router = PermissionRouter()
MAX_ITEMS = 30


@router.page("/cases/{case_id}/assess", permission=Permission.ASSESSMENT_RUN)
async def start(request: Request, case_id: RecordId, request_id: int | None = None) -> Response:
    case = load_case_for(request, case_id)
    answers: dict[str, Any] = {
        "role": case.subject.role,
        "age": age_on(case.subject.date_of_birth, records_of(request).today()),
    }
    if case.subject.adult_at_risk:
        answers["adult_at_risk"] = "yes"
    if request_id is not None:
        for r in case.requests:
            if r.id == request_id:
                answers.update(_from_request(r))
    return _ask(request, case_id, answers, interview.next_question(answers))


def _from_request(r: Any) -> dict[str, Any]:
    return {
        "_request_id": r.id,
        "kind": "request_response",
        "purpose": r.purpose,
        "recipient_type": r.recipient_type,
        "recipient": {"name": r.organisation, "email": r.email},
        # From the day the request's clock last started, so "respond by" is the request's due date.
        "received": clock_started(r.received_on, (c["resolved_on"] for c in r.clarifications)).isoformat(),
        "request_checks": [
            k
            for k in ("proforma", "secure_channel", "consent_position_stated", "reason_given", "specific")
            if getattr(r, k)
        ],
        "legal_powers": list(r.legal_powers_cited),
        "items": [
            {
                "id": f"requested-{n}",
                "description": text,
                "category": "other",
                "relevant": True,
                "justification": "",
            }
            for n, text in enumerate(r.items_requested, start=1)
        ],
    }


@router.page("/cases/{case_id}/assess", permission=Permission.ASSESSMENT_RUN, methods=("POST",))
async def step(request: Request, case_id: RecordId) -> Response:
    load_case_for(request, case_id)
    form = await request.form()
    fields: dict[str, Any] = {key: form.get(key) for key in form}
    fields["answer_list"] = form.getlist("answer_list")
    try:
        answers = json.loads(str(form.get("draft") or "{}"))
    except ValueError:
        answers = None
    if not interview.well_formed(answers):
        return render(
            request,
            "message.html",
            status_code=400,
            heading="The answers could not be read",
            paragraphs=["Start the assessment again from the case page."],
        )
    action = str(form.get("action") or "continue")
    current = interview.BY_KEY.get(str(form.get("step") or ""))
    if action.startswith("goto:"):
        return _ask(request, case_id, answers, interview.BY_KEY.get(action[5:]))
    if action == "back" and current is not None:
        earlier = interview.previous_question(answers, current.key)
        return (
            _ask(request, case_id, answers, earlier)
            if earlier
            else RedirectResponse(f"/cases/{case_id}", 303)
        )
    if action.startswith("remove_item:"):
        chosen = action.split(":")[1]
        index = int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) <= 10 else -1
        items = answers.get("items") or []
        if 0 <= index < len(items):
            items.pop(index)
        answers["items"] = items
        return _ask(request, case_id, answers, interview.BY_KEY["items"])
    if action == "add_item":
        return _add_item(request, case_id, answers, fields)
    if action == "decide":
        return _decide(request, case_id, answers)
    if action == "record":
        return _record(request, case_id, answers, fields)
    if current is not None and current.kind != "items":
        value, error = interview.parse_answer(current, fields, today=records_of(request).today())
        if error:
            return _ask(request, case_id, answers, current, error=error, given=fields)
        answers[current.key] = value
    if current is not None and current.kind == "items":
        if not answers.get("items"):
            return _ask(request, case_id, answers, current, error="Add at least one piece of information")
        answers["items"] = answers["items"]
        answers.setdefault("items_done", True)
    return _ask(request, case_id, answers, interview.next_question(answers))


def _add_item(
    request: Request, case_id: RecordId, answers: dict[str, Any], fields: dict[str, Any]
) -> Response:
    description = str(fields.get("item_description") or "").strip()
    category = str(fields.get("item_category") or "")
    relevant = fields.get("item_relevant")
    errors = {}
    if not description:
        errors["item_description"] = {"text": "Describe the information", "href": "#item_description"}
    if category not in {c.value for c in ItemCategory}:
        errors["item_category"] = {"text": "Select what kind of information it is", "href": "#item_category"}
    if relevant not in ("yes", "no"):
        errors["item_relevant"] = {
            "text": "Say whether it is relevant to the purpose",
            "href": "#item_relevant",
        }
    items = answers.get("items") or []
    if len(items) >= MAX_ITEMS:
        errors["item_description"] = {"text": f"No more than {MAX_ITEMS} items", "href": "#item_description"}
    if errors:
        return _ask(request, case_id, answers, interview.BY_KEY["items"], errors=errors, given=fields)
    used = {i["id"] for i in items}
    number = len(items) + 1
    while f"item-{number}" in used:
        number += 1
    items.append(
        {
            "id": f"item-{number}",
            "description": description,
            "category": category,
            "relevant": relevant == "yes",
            "justification": str(fields.get("item_justification") or "").strip(),
        }
    )
    answers["items"] = items
    return _ask(request, case_id, answers, interview.BY_KEY["items"])


def _ask(
    request: Request,
    case_id: RecordId,
    answers: dict[str, Any],
    question: interview.Question | None,
    *,
    error: str | None = None,
    errors: dict[str, Any] | None = None,
    given: dict[str, Any] | None = None,
) -> Response:
    draft = json.dumps(answers)
    if question is None:
        return _check(request, case_id, answers)
    all_errors = errors or ({"answer": {"text": error, "href": "#answer"}} if error else None)
    options = question.options or (interview.legal_power_options() if question.kind == "checkboxes" else [])
    return render(
        request,
        "assessment/question.html",
        status_code=400 if all_errors else 200,
        case_id=case_id,
        question=question,
        options=options,
        draft=draft,
        answers=answers,
        current=(given or {}).get("answer", answers.get(question.key)),
        errors=all_errors,
        categories=[(c.value, label) for c, label in interview.CATEGORY_LABELS.items()],
        given=given or {},
    )


def _check(request: Request, case_id: RecordId, answers: dict[str, Any]) -> Response:
    rows = []
    for q in interview.applicable(answers):
        rows.append({"key": q.key, "question": q.title, "answer": _describe(q, answers.get(q.key))})
    email_check = _email_check(request, answers)
    return render(
        request,
        "assessment/check.html",
        case_id=case_id,
        rows=rows,
        draft=json.dumps(answers),
        email_check=email_check,
    )


def _describe(question: interview.Question, value: Any) -> str:
    labels = {v: label for v, label, _ in (question.options or interview.legal_power_options())}
    if question.kind == "checkboxes":
        return "; ".join(labels.get(v, v) for v in value or []) or "None"
    if question.kind == "radios":
        return labels.get(value, "Not answered")
    if question.kind == "recipient":
        return f"{value.get('name')}, {value.get('email') or 'no email address'}" if value else "Not answered"
    if question.kind == "items":
        return f"{len(value or [])} item(s)"
    return "Not answered" if value in (None, "") else str(value)


def _email_check(request: Request, answers: dict[str, Any]) -> dict[str, Any] | None:
    email = (answers.get("recipient") or {}).get("email")
    if not email:
        return None
    config = engine_config_for(request)
    try:
        result = check_email(email, accredited_domains=config.accredited_on(records_of(request).today()))
    except MalformedAddressError as error:
        return {"ok": False, "text": f"{email} is not a valid email address ({error})."}
    if result.secure:
        return {"ok": True, "text": f"{result.domain} is a secure domain: no further action needed."}
    return {"ok": False, "text": f"{result.domain} is not a secure domain: put [secure] in the subject line."}


def _evaluate(request: Request, answers: dict[str, Any]) -> tuple[Any, Decision] | list[dict[str, str]]:
    """The engine's decision on a draft that answers every question that applies (its callers ask any
    that it does not first), or the engine's refusals in the lead's words."""
    try:
        today = records_of(request).today()
        assessment = parse_assessment(json.dumps(interview.to_engine_input(answers)), decided_on=today)
    except AssessmentInputError as error:
        return [_in_the_leads_words(problem, answers) for problem in error.problems]
    return assessment, assess(assessment, engine_config_for(request), today=today)


# An engine field named in a message ("unless consent.status is 'given'"), with what it is said to be
# when that is yes or no; and a value in quotes ('lacks_capacity'), which an option's label can replace.
_FIELD_NAMED = re.compile(r"\b([a-z_]+(?:\.[a-z_0-9]+)+)( is (?:true|false)\b)?")
_VALUE_QUOTED = re.compile(r"'([a-z_]+)'")


def _in_the_leads_words(problem: InputProblem, answers: dict[str, Any]) -> dict[str, str]:
    """An engine's refusal as the check page shows it: against the question whose answer it refuses, in
    that question's words, linked to its row. The engine's field names and values in the message become
    the questions and options the lead saw, and "is true" of a field becomes the lead's own answer to
    its question (a question may ask the opposite way round: "Is there any doubt ...?"). The words come
    from the interview's questions (``Question.fields``), so there is no second list to drift."""
    question = interview.question_for_field(problem.field, answers)
    named = [question] if question else []

    def in_words(match: re.Match[str]) -> str:
        path = ".".join(part for part in match[1].split(".") if not part.isdigit())
        referenced = (
            interview.question_for_field(path, answers) if path in interview.FIELD_QUESTIONS else None
        )
        if referenced is None:  # not a field (part of an email address, say): left as it is
            return match[0]
        named.append(referenced)
        if match[2]:
            answered = _describe(referenced, answers.get(referenced.key))
            return f"your answer to “{referenced.title}” is “{answered}”"
        return f"“{referenced.title}”"

    message = _FIELD_NAMED.sub(in_words, problem.message)
    labels: dict[str, str] = {}
    for among in reversed(named):  # the refused question's own options win
        labels.update(interview.answer_labels(among))
    message = _VALUE_QUOTED.sub(lambda m: f"“{labels[m[1]]}”" if m[1] in labels else m[0], message)
    said = message[:1].upper() + message[1:]
    if (item := re.match(r"items\.(\d+)\.", problem.field)) is not None:
        said = f"Item {int(item[1]) + 1}: {said}"  # which piece of information, as the list numbers it
    if question is None:
        return {"text": said, "href": "#"}
    asked = question.title if question.title.endswith("?") else f"{question.title}:"
    return {"text": f"{asked} {said}", "href": f"#answer-{question.key}"}


def _against_the_records(
    request: Request, case_id: RecordId, answers: dict[str, Any], assessment: Any, today: date
) -> list[dict[str, str]]:
    """Answers the case's records contradict, as errors on their questions: checked before the decision
    is shown, so no page says "share, with consent" for a person whose record says they refused."""
    request_id = answers.get("_request_id")
    with records_of(request).new_unit_of_work().reading() as uow:
        # The partner request the assessment was started from: its clock is a record too. One not on
        # this case is refused when the decision is recorded (404), as through the API.
        answering = uow.session.get(PartnerRequestRow, request_id) if isinstance(request_id, int) else None
        problems = disagreements_with_the_records(
            uow=uow,
            case_id=case_id,
            assessment=assessment,
            today=today,
            request=answering if answering is not None and answering.case_id == case_id else None,
        )
    return [_in_the_leads_words(problem, answers) for problem in problems]


def _decide(request: Request, case_id: RecordId, answers: dict[str, Any]) -> Response:
    if (unanswered := interview.next_question(answers)) is not None:
        # A draft missing an answer (damaged, or edited on its way back) would be decided with "No" in
        # its place (interview.to_engine_input): the question is asked instead.
        return _ask(request, case_id, answers, unanswered)
    result = _evaluate(request, answers)
    if not isinstance(result, list):
        result = _against_the_records(request, case_id, answers, result[0], result[1].decided_on) or result
    if isinstance(result, list):
        return render(
            request,
            "assessment/check.html",
            status_code=400,
            case_id=case_id,
            draft=json.dumps(answers),
            rows=[
                {"key": q.key, "question": q.title, "answer": _describe(q, answers.get(q.key))}
                for q in interview.applicable(answers)
            ],
            errors=result,
            email_check=None,
        )
    assessment, decision = result
    return _decision_page(request, case_id, answers, assessment=assessment, decision=decision)


def _decision_page(
    request: Request,
    case_id: RecordId,
    answers: dict[str, Any],
    *,
    assessment: Any,
    decision: Decision,
    errors: dict[str, Any] | None = None,
) -> Response:
    catalogue = load_catalogue()
    descriptions = {i.id: i.description for i in assessment.items}
    user = user_of(request)
    note = render_record_note(
        assessment, decision, author=NoteAuthor(name=user.display_name, role=user.role.value)
    )
    return render(
        request,
        "assessment/decision.html",
        status_code=400 if errors else 200,
        case_id=case_id,
        decision=decision,
        draft=json.dumps(answers),
        provisions={p.id: p for p in catalogue.provisions},
        descriptions=descriptions,
        note=note,
        errors=errors,
    )


def _record(request: Request, case_id: RecordId, answers: dict[str, Any], fields: dict[str, Any]) -> Response:
    if interview.next_question(answers) is not None:
        return _decide(request, case_id, answers)  # which asks the question the draft leaves unanswered
    result = _evaluate(request, answers)
    if isinstance(result, list):
        return _decide(request, case_id, answers)
    assessment, decision = result
    choice = fields.get("lead_decision")
    reason = str(fields.get("lead_reason") or "").strip()
    errors = {}
    if choice not in ("follow", "depart"):
        errors["lead_decision"] = {"text": "Say whether you follow this decision", "href": "#lead_decision"}
    elif choice == "depart" and not reason:
        errors["lead_reason"] = {"text": "Explain why you depart from this decision", "href": "#lead_reason"}
    if errors:
        return _decision_page(
            request, case_id, answers, assessment=assessment, decision=decision, errors=errors
        )
    user = user_of(request)
    request_id = answers.get("_request_id")
    try:
        with records_of(request).new_unit_of_work() as uow:
            assessment_id = record_assessment(
                uow=uow,
                actor=user.username,
                case_id=case_id,
                assessment_json=assessment.model_dump_json(),
                config=engine_config_for(request),
                today=decision.decided_on,
                lead_decision=LeadDecision(str(choice)),
                lead_reason=reason or None,
                request_id=request_id if isinstance(request_id, int) else None,
            )
    except (AssessmentInputProblemsError, ServiceError) as error:
        return _decision_page(
            request,
            case_id,
            answers,
            assessment=assessment,
            decision=decision,
            errors={"lead_decision": {"text": str(error), "href": "#lead_decision"}},
        )
    return RedirectResponse(f"/cases/{case_id}?recorded=assessment-{assessment_id}", status_code=303)
