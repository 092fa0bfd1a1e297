"""Journey 4: answering a partner's request — intake, the §5 checklist, the clock, clarification."""

from datetime import date
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from prevent_ig.adapters.records.tables import PartnerRequestRow
from prevent_ig.domain.access import Permission
from prevent_ig.domain.law.vocabulary import Purpose, RecipientType
from prevent_ig.domain.pathway.request_clock import is_overdue
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.case_access import load_case_for
from prevent_ig.entrypoints.web.engine_config import engine_config_for
from prevent_ig.entrypoints.web.form_dates import date_in_form, past_date_problem
from prevent_ig.entrypoints.web.interview import (
    PURPOSE,
    RECIPIENT,
    REQUEST_CHECKS,
    legal_power_options,
    option_labels,
)
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.errors import InvalidFieldError, RefusedError
from prevent_ig.services.requests import (
    NewPartnerRequest,
    ask_for_clarification,
    clarification_received,
    mark_answered,
    record_partner_request,
)

router = PermissionRouter()
CHECK_CODES = {
    "proforma": "request_proforma",
    "secure_channel": "request_secure_channel",
    "consent_position_stated": "request_consent_position",
    "reason_given": "request_reason",
    "specific": "request_specific",
}
FORM_FIELDS = {"received_on": "received", "legal_powers_cited": "powers", "items_requested": "items"}
"""The request form's name for each field a service names."""


def _href(field: str) -> str:
    """Where the error summary links: a date's first box (nhsuk date input), any other field itself."""
    return f"#{field}-day" if field in ("received", *_EVENT_DATES) else f"#{field}"


_EVENT_DATES = {
    "clarified_on": "the requestor answered",
    "answered_on": "the answer went to the requestor",
}
"""The date boxes of the request page's two forms: each clock is counted from what happened when it
happened, not from the day it was recorded (a reply read on Monday and recorded on Wednesday must
not give the lead two more days, nor an answer recorded late count as late)."""


async def _event_date(request: Request, name: str) -> date | dict[str, dict[str, str]]:
    """The date the form gives, or the error to show on it."""
    found = date_in_form(await request.form(), name)
    if (text := past_date_problem(found, _EVENT_DATES[name], records_of(request).today())) is None:
        assert found is not None  # past_date_problem names a missing date
        return found
    return {name: {"text": text, "href": _href(name)}}


@router.page("/requests", permission=Permission.REQUEST_MANAGE)
async def request_list(request: Request) -> Response:
    calendar = engine_config_for(request).calendar
    today = records_of(request).today()
    with records_of(request).new_unit_of_work() as uow:
        rows = [
            {
                "id": r.id,
                "case_id": r.case_id,
                "organisation": r.organisation,
                "status": r.status,
                "due_on": r.due_on,
                "left": calendar.working_days_between(today, r.due_on),
                "overdue": is_overdue(r.due_on, today),
            }
            for r in uow.session.scalars(select(PartnerRequestRow).order_by(PartnerRequestRow.due_on))
        ]
        uow.audit.record(actor=user_of(request).username, event="case:request:list")
        uow.commit()
    return render(request, "requests/list.html", rows=rows)


def _form_context(values: dict[str, Any], case_id: RecordId) -> dict[str, Any]:
    return {
        "values": values,
        "case_id": case_id,
        "purposes": PURPOSE,
        "recipients": RECIPIENT,
        "checks": REQUEST_CHECKS,
        "powers": legal_power_options(),
    }


@router.page("/cases/{case_id}/requests/new", permission=Permission.REQUEST_MANAGE)
async def new_request(request: Request, case_id: RecordId) -> Response:
    load_case_for(request, case_id)
    return render(
        request, "requests/new.html", **_form_context({"checks": [], "powers": [], "items": ""}, case_id)
    )


@router.page("/cases/{case_id}/requests/new", permission=Permission.REQUEST_MANAGE, methods=("POST",))
async def submit_request(request: Request, case_id: RecordId) -> Response:
    load_case_for(request, case_id)
    form = await request.form()
    values: dict[str, Any] = {
        k: str(form.get(k) or "").strip()
        for k in (
            "organisation",
            "person",
            "role",
            "email",
            "recipient_type",
            "purpose",
            "items",
            "received[day]",
            "received[month]",
            "received[year]",
        )
    }
    values["checks"] = form.getlist("checks")
    values["powers"] = form.getlist("powers")
    errors: dict[str, dict[str, str]] = {}
    for key, text in (
        ("organisation", "Enter the requesting organisation"),
        ("person", "Enter who asked"),
        ("role", "Enter their role"),
        ("email", "Enter their email address"),
        ("items", "List what they asked for"),
    ):
        if not values[key]:
            errors[key] = {"text": text, "href": f"#{key}"}
    if values["recipient_type"] not in {r.value for r in RecipientType}:
        errors["recipient_type"] = {"text": "Choose the kind of organisation", "href": "#recipient_type"}
    if values["purpose"] not in {p.value for p in Purpose}:
        errors["purpose"] = {"text": "Choose what the information is for", "href": "#purpose"}
    today = records_of(request).today()
    found = date_in_form(values, "received")
    received = found or today  # stands in only while the form is shown again with its errors
    if (problem := past_date_problem(found, "the request arrived", today)) is not None:
        errors["received"] = {"text": problem, "href": _href("received")}
    if not errors:
        checks = set(values["checks"])
        try:
            with records_of(request).new_unit_of_work() as uow:
                request_id = record_partner_request(
                    uow=uow,
                    actor=user_of(request).username,
                    case_id=case_id,
                    calendar=engine_config_for(request).calendar,
                    today=today,
                    request=NewPartnerRequest(
                        organisation=values["organisation"],
                        person=values["person"],
                        role=values["role"],
                        email=values["email"],
                        recipient_type=RecipientType(values["recipient_type"]),
                        purpose=Purpose(values["purpose"]),
                        received_on=received,
                        items_requested=[
                            line.strip() for line in values["items"].splitlines() if line.strip()
                        ],
                        legal_powers_cited=values["powers"],
                        **{key: key in checks for key, _, _ in REQUEST_CHECKS},
                    ),
                )
        except InvalidFieldError as error:
            # The service names its fields; the form's date input is "received", its other fields
            # have the service's names, and anything else the service checks is the address.
            # An item of the list ("items_requested.2") is shown at the list.
            field = FORM_FIELDS.get(error.field.split(".")[0], error.field)
            field = field if field in values or field == "received" else "email"
            errors[field] = {"text": as_sentence(error.message), "href": _href(field)}
    if errors:
        return render(
            request, "requests/new.html", status_code=400, errors=errors, **_form_context(values, case_id)
        )
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


def _load(request: Request, request_id: RecordId) -> PartnerRequestRow:
    with records_of(request).new_unit_of_work() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        if row is None:
            raise HTTPException(404)
        uow.audit.record(
            actor=user_of(request).username,
            event="case:request:view",
            case_id=row.case_id,
            entity=f"request:{row.id}",
        )
        uow.commit()
        return row


@router.page("/requests/{request_id}", permission=Permission.REQUEST_MANAGE)
async def request_page(request: Request, request_id: RecordId) -> Response:
    return _request_page(request, _load(request, request_id))


def _request_page(request: Request, row: PartnerRequestRow, errors: dict[str, Any] | None = None) -> Response:
    calendar = engine_config_for(request).calendar
    vss = row.recipient_type == RecipientType.VSS.value
    checklist = [
        {
            "key": key,
            "label": label,
            "met": bool(getattr(row, key)),
            "applies": not (vss and key in ("proforma", "consent_position_stated")),
        }
        for key, label, _ in REQUEST_CHECKS
    ]
    checklist.append(
        {
            "key": "legal_powers",
            "label": "They cited the powers or conditions they rely on",
            "met": bool(row.legal_powers_cited),
            "applies": not vss,
        }
    )
    return render(
        request,
        "requests/show.html",
        status_code=400 if errors else 200,
        row=row,
        checklist=checklist,
        left=calendar.working_days_between(records_of(request).today(), row.due_on),
        overdue=is_overdue(row.due_on, records_of(request).today()),
        today=records_of(request).today(),
        recipient_labels=option_labels(RECIPIENT),
        purpose_labels=option_labels(PURPOSE),
        power_titles=option_labels(legal_power_options()),
        powers=legal_power_options(),
        errors=errors,
    )


@router.page("/requests/{request_id}/clarify", permission=Permission.REQUEST_MANAGE, methods=("POST",))
async def clarify(request: Request, request_id: RecordId) -> Response:
    row = _load(request, request_id)
    missing = [
        CHECK_CODES.get(str(key), "request_legal_powers") for key in (await request.form()).getlist("missing")
    ]
    try:
        with records_of(request).new_unit_of_work() as uow:
            ask_for_clarification(
                uow=uow,
                actor=user_of(request).username,
                request_id=request_id,
                missing=missing,
                on=records_of(request).today(),
            )
    except (InvalidFieldError, RefusedError) as error:
        return _request_page(
            request,
            row,
            {"missing": {"text": as_sentence(str(error).split(": ", 1)[-1]), "href": "#missing"}},
        )
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


@router.page("/requests/{request_id}/clarified", permission=Permission.REQUEST_MANAGE, methods=("POST",))
async def clarified(request: Request, request_id: RecordId) -> Response:
    row = _load(request, request_id)
    on = await _event_date(request, "clarified_on")
    if isinstance(on, dict):
        return _request_page(request, row, on)
    form = await request.form()
    supplied = [str(v) for v in form.getlist("supplied")]
    powers = [str(v) for v in form.getlist("powers")]
    try:
        with records_of(request).new_unit_of_work() as uow:
            clarification_received(
                uow=uow,
                actor=user_of(request).username,
                request_id=request_id,
                on=on,
                calendar=engine_config_for(request).calendar,
                supplied=supplied,
                powers=powers,
            )
    except (InvalidFieldError, RefusedError) as error:
        return _request_page(request, row, {"status": {"text": as_sentence(str(error)), "href": "#status"}})
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


@router.page("/requests/{request_id}/answered", permission=Permission.REQUEST_MANAGE, methods=("POST",))
async def answered(request: Request, request_id: RecordId) -> Response:
    row = _load(request, request_id)
    on = await _event_date(request, "answered_on")
    if isinstance(on, dict):
        return _request_page(request, row, on)
    try:
        with records_of(request).new_unit_of_work() as uow:
            mark_answered(
                uow=uow,
                actor=user_of(request).username,
                request_id=request_id,
                on=on,
            )
    except (InvalidFieldError, RefusedError) as error:
        return _request_page(request, row, {"status": {"text": as_sentence(str(error)), "href": "#status"}})
    return RedirectResponse(f"/requests/{request_id}", status_code=303)
