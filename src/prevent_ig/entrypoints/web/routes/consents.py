"""Recording consent on a case, and its withdrawal (guidance §3 and §7).

Consent to share and consent to Channel support are recorded apart: support cannot start without the
second (CTSA 2015 s36(4)(b), the pathway's guard), whatever the first says. A withdrawal is recorded
against the consent in force: withdrawn consent to share flags every disclosure on the case (but those
never delivered) so the lead can follow each one up; withdrawn consent to support means support must
end, which the page says.
"""

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus, ReasonNotSought
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.case_access import load_case_for
from prevent_ig.entrypoints.web.form_dates import date_in_form
from prevent_ig.entrypoints.web.interview import CONSENT, NOT_SOUGHT, Options
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.consents import SCOPES, NewConsent, record_consent, withdraw_consent
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError

router = PermissionRouter()

SCOPE: Options = [
    ("sharing", "Sharing information about them", "With the police, the local authority or a Channel panel"),
    ("channel_support", "Taking part in Channel support", "Needed before a support plan can start"),
]
SCOPE_HEADINGS = {"sharing": "Consent to share information", "channel_support": "Consent to Channel support"}
"""How the case page names each kind of consent."""
GIVERS: Options = [
    ("subject", "The person themselves", "When they can decide about this"),
    (
        "parent_or_guardian",
        "A parent or guardian",
        "Under 18: always for Channel support; for sharing, when the child cannot decide",
    ),
    ("legal_representative", "A legal representative", "For sharing, for an adult who cannot decide"),
]
"""Who may agree, with the law's limits as hints; the service refuses a giver the law does not allow."""
STATUS: Options = [option for option in CONSENT if option[0] != ConsentStatus.WITHDRAWN.value]
REASON_NOT_SOUGHT: Options = [option for option in NOT_SOUGHT if option[0] in set(ReasonNotSought)]
FIELDS = (
    "scope",
    "status",
    "given_by",
    "reason_not_sought",
    "sought_by",
    "sought_on[day]",
    "sought_on[month]",
    "sought_on[year]",
    "has_capacity",
    "capacity_assessed_by",
    "best_interests_decision",
    "best_interests_consulted",
)
ORDER = (
    "scope",
    "status",
    "given_by",
    "reason_not_sought",
    "sought_on",
    "sought_by",
    "has_capacity",
    "capacity_assessed_by",
    "best_interests_decision",
    "best_interests_consulted",
)
"""The form's order, which the error summary follows: every question the form asks (the date's three
boxes as one), so that a problem the service finds is shown at its own question."""
Errors = dict[str, dict[str, str]]


@router.page("/cases/{case_id}/consents/new", permission=Permission.CASE_MANAGE)
async def new_consent(request: Request, case_id: RecordId, scope: str = "") -> Response:
    load_case_for(request, case_id)
    chosen = scope if scope in SCOPES else ""
    return _form(request, case_id, {"scope": chosen, "sought_by": user_of(request).display_name})


@router.page("/cases/{case_id}/consents/new", permission=Permission.CASE_MANAGE, methods=("POST",))
async def create_consent(request: Request, case_id: RecordId) -> Response:
    load_case_for(request, case_id)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    errors: Errors = {}
    consent = _consent_from(values, errors)
    if consent is not None:
        try:
            with records_of(request).new_unit_of_work() as uow:
                record_consent(
                    uow=uow,
                    actor=user_of(request).username,
                    case_id=case_id,
                    consent=consent,
                    on=records_of(request).today(),
                )
        except InvalidFieldError as error:
            field = error.field if error.field in ORDER else "status"
            errors[field] = {"text": as_sentence(error.message), "href": _href(field)}
    if errors:
        return _form(request, case_id, values, errors)
    return RedirectResponse(f"/cases/{case_id}?recorded=consent", status_code=303)


@router.page(
    "/cases/{case_id}/consents/{consent_id}/withdraw", permission=Permission.CASE_MANAGE, methods=("POST",)
)
async def withdraw(request: Request, case_id: RecordId, consent_id: RecordId) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            withdrawn = withdraw_consent(
                uow=uow,
                actor=user_of(request).username,
                case_id=case_id,
                consent_id=consent_id,
                on=records_of(request).today(),
            )
    except NotFoundError:
        return _message(request, case_id, 404, "Consent not found", "That consent is not on this case.")
    except (RefusedError, InvalidFieldError) as refusal:
        return _message(request, case_id, 409, "The withdrawal was not recorded", as_sentence(str(refusal)))
    return RedirectResponse(
        f"/cases/{case_id}?recorded=withdrawal&flagged={len(withdrawn.flagged_disclosures)}&scope={withdrawn.scope}",
        status_code=303,
    )


def _consent_from(values: dict[str, str], errors: Errors) -> NewConsent | None:
    """The consent the form describes, or None with ``errors`` saying what to put right."""
    if values["scope"] not in SCOPES:
        errors["scope"] = {"text": "Choose what the consent is for", "href": "#scope"}
    if values["status"] not in {value for value, _, _ in STATUS}:
        errors["status"] = {"text": "Choose whether they agreed", "href": "#status"}
    status = ConsentStatus(values["status"]) if "status" not in errors else None
    given_by = reason = None
    if status is ConsentStatus.GIVEN:
        if values["given_by"] not in set(ConsentGiver):
            errors["given_by"] = {"text": "Choose who agreed", "href": "#given_by"}
        else:
            given_by = ConsentGiver(values["given_by"])
    if status is ConsentStatus.NOT_SOUGHT:
        if values["reason_not_sought"] not in set(ReasonNotSought):
            errors["reason_not_sought"] = {
                "text": "Choose why consent was not asked for",
                "href": "#reason_not_sought",
            }
        else:
            reason = ReasonNotSought(values["reason_not_sought"])
    sought_on = None
    if status is not None and status is not ConsentStatus.NOT_SOUGHT:
        sought_on = date_in_form(values, "sought_on")
        if sought_on is None:
            errors["sought_on"] = {
                "text": "Enter the date you asked them, for example 22 12 2026",
                "href": _href("sought_on"),
            }
        if not values["sought_by"]:
            errors["sought_by"] = {"text": "Enter who asked them", "href": "#sought_by"}
    if values["has_capacity"] not in ("yes", "no"):
        errors["has_capacity"] = {
            "text": "Choose whether they can decide about this",
            "href": "#has_capacity",
        }
    if errors or status is None:
        return None
    return NewConsent(
        scope=values["scope"],
        status=status,
        has_capacity=values["has_capacity"] == "yes",
        sought_by=values["sought_by"] if status is not ConsentStatus.NOT_SOUGHT else None,
        sought_on=sought_on,
        given_by=given_by,
        reason_not_sought=reason,
        capacity_assessed_by=values["capacity_assessed_by"] or None,
        best_interests_decision=values["best_interests_decision"] or None,
        best_interests_consulted=values["best_interests_consulted"] or None,
    )


def _href(field: str) -> str:
    """Where the error summary links: a date's first box, any other field itself."""
    return f"#{field}-day" if field == "sought_on" else f"#{field}"


def _message(request: Request, case_id: int, status: int, heading: str, text: str) -> Response:
    return render(
        request,
        "message.html",
        status_code=status,
        heading=heading,
        paragraphs=[text],
        link={"href": f"/cases/{case_id}", "text": f"Back to case {case_id}"},
    )


def _form(request: Request, case_id: int, values: dict[str, Any], errors: Errors | None = None) -> Response:
    errors = errors or {}
    return render(
        request,
        "consents/new.html",
        status_code=400 if errors else 200,
        case_id=case_id,
        values=values,
        errors=[errors[name] for name in ORDER if name in errors],
        field_errors=errors,
        scopes=SCOPE,
        statuses=STATUS,
        givers=GIVERS,
        reasons=REASON_NOT_SOUGHT,
    )
