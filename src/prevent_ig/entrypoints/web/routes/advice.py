"""Journey 7: the IG adviser's queue of advice requests, and recording advice in the Caldicott log.

Advisers see only what the question needs (ids, purpose, recipient organisation, the information
asked about, the engine's outcome), never the subject's name: they do not have the all-cases
permission.
"""

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission
from prevent_ig.domain.law.vocabulary import AdviserRole
from prevent_ig.entrypoints.record_ids import is_record_id
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.interview import (
    ADVISER,
    CATEGORY_LABELS,
    GIVEN_BY,
    KIND,
    PURPOSE,
    RECIPIENT,
    option_labels,
)
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.advice import (
    Advice,
    AdviceRequest,
    advice_queue,
    record_advice,
    view_advice_request,
)
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError

router = PermissionRouter()
NOT_FOUND = 404
CONFLICT = 409
SUPPORTS = [
    ("yes", "Yes, I support sharing", "Say in your advice what may be shared and on what basis"),
    ("no", "No, I do not support sharing", "Say in your advice why, and what would change your view"),
]
OUTCOMES = {
    "share": "Share",
    "seek_consent": "Seek consent",
    "clarify": "Clarify the request",
    "escalate": "Escalate to the IG team, DPO or Caldicott guardian",
    "do_not_share": "Do not share",
}
CONSENT = {
    "given": "Given",
    "refused": "Refused",
    "not_sought": "Not sought",
    "withdrawn": "Withdrawn",
}


def labels() -> dict[str, dict[str, str]]:
    return {
        "kind": option_labels(KIND),
        "purpose": option_labels(PURPOSE),
        "recipient": option_labels(RECIPIENT),
        "adviser": option_labels(ADVISER),
        "category": {c.value: text for c, text in CATEGORY_LABELS.items()},
        "outcome": OUTCOMES,
        "consent": CONSENT,
        "giver": option_labels(GIVEN_BY),
    }


@router.page("/advice", permission=Permission.ADVICE_GIVE)
async def queue(request: Request, recorded: str = "") -> Response:
    with records_of(request).new_unit_of_work() as uow:
        items = advice_queue(uow=uow, actor=user_of(request).username)
    return render(
        request,
        "advice/queue.html",
        items=items,
        recorded=int(recorded) if is_record_id(recorded) else None,
        labels=labels(),
    )


@router.page("/advice/{assessment_id}", permission=Permission.ADVICE_GIVE)
async def advice_form(request: Request, assessment_id: RecordId) -> Response:
    item = _load(request, assessment_id)
    if not isinstance(item, AdviceRequest):
        return item
    user = user_of(request)
    values = {
        "adviser": user.display_name,
        "adviser_role": item.adviser_role.value if item.adviser_role else "",
        "supports": "",
        "advice": "",
    }
    return _form(request, item, values)


@router.page("/advice/{assessment_id}", permission=Permission.ADVICE_GIVE, methods=("POST",))
async def advice_submit(request: Request, assessment_id: RecordId) -> Response:
    item = _load(request, assessment_id)
    if not isinstance(item, AdviceRequest):
        return item
    form = await request.form()
    values = {
        key: str(form.get(key) or "").strip() for key in ("supports", "adviser_role", "adviser", "advice")
    }
    errors: dict[str, dict[str, str]] = {}
    if values["supports"] not in ("yes", "no"):
        errors["supports"] = {"text": "Select whether you support sharing", "href": "#supports"}
    if values["adviser_role"] not in {r.value for r in AdviserRole}:
        errors["adviser_role"] = {"text": "Select who is giving the advice", "href": "#adviser_role"}
    if not values["adviser"]:
        errors["adviser"] = {"text": "Enter the adviser's name", "href": "#adviser"}
    if not values["advice"]:
        errors["advice"] = {"text": "Enter your advice", "href": "#advice"}
    if not errors:
        try:
            with records_of(request).new_unit_of_work() as uow:
                record_advice(
                    uow=uow,
                    actor=user_of(request).username,
                    assessment_id=assessment_id,
                    on=records_of(request).today(),
                    advice=Advice(
                        adviser=values["adviser"],
                        adviser_role=AdviserRole(values["adviser_role"]),
                        supports_sharing=values["supports"] == "yes",
                        advice=values["advice"],
                    ),
                )
        except InvalidFieldError as error:
            field = error.field if error.field in values else "advice"
            errors[field] = {"text": as_sentence(error.message), "href": f"#{field}"}
        except (NotFoundError, RefusedError) as error:
            return _already_answered(request, str(error))
    if errors:
        return _form(request, item, values, errors)
    return RedirectResponse(f"/advice?recorded={assessment_id}", status_code=303)


def _load(request: Request, assessment_id: int) -> AdviceRequest | Response:
    """The waiting request, or a page saying it no longer waits; 404 when it never did."""
    try:
        with records_of(request).new_unit_of_work() as uow:
            return view_advice_request(uow=uow, actor=user_of(request).username, assessment_id=assessment_id)
    except NotFoundError:
        raise HTTPException(NOT_FOUND) from None
    except RefusedError as error:
        return _already_answered(request, str(error))


def _already_answered(request: Request, detail: str) -> Response:
    return render(
        request,
        "message.html",
        status_code=CONFLICT,
        heading="This request no longer needs advice",
        paragraphs=[as_sentence(detail) + "."],
        link={"href": "/advice", "text": "Go back to the advice requests"},
    )


def _form(
    request: Request,
    item: AdviceRequest,
    values: dict[str, Any],
    errors: dict[str, dict[str, str]] | None = None,
) -> Response:
    ordered = [errors[k] for k in ("supports", "adviser_role", "adviser", "advice") if errors and k in errors]
    return render(
        request,
        "advice/record.html",
        status_code=400 if errors else 200,
        item=item,
        values=values,
        errors=ordered,
        field_errors=errors or {},
        supports=SUPPORTS,
        advisers=ADVISER,
        labels=labels(),
    )
