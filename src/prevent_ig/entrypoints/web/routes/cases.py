"""Journeys 1, 3 and 5: raise a concern, the case page with its moves, and making a referral."""

import re
from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission, allows
from prevent_ig.domain.documents.referral_form import long_date
from prevent_ig.domain.law.vocabulary import SubjectRole
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.domain.pathway.stages import ExitReason, Stage
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, check_email
from prevent_ig.entrypoints.record_ids import is_record_id
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.case_access import load_case_for
from prevent_ig.entrypoints.web.engine_config import engine_config_for
from prevent_ig.entrypoints.web.form_dates import date_in_form, past_date_problem
from prevent_ig.entrypoints.web.interview import ADVISER, GIVEN_BY, NOT_SOUGHT, option_labels
from prevent_ig.entrypoints.web.routes.consents import SCOPE_HEADINGS
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.authority import lapsed_decisions
from prevent_ig.services.cases import NewSubject, list_cases, next_deadline, raise_concern
from prevent_ig.services.documents import left_out_of_referral, register_contacts
from prevent_ig.services.errors import InvalidFieldError, RefusedError
from prevent_ig.services.pathway import advance_case
from prevent_ig.services.views import CaseDetail

router = PermissionRouter()

MOVE_LABELS = {
    Move.REFER: "Record the referral as made",
    Move.START_SCREENING: "Police screening has started",
    Move.GATHER_INFORMATION: "Information gathering has started",
    Move.TAKE_TO_PANEL: "Taken to the Channel panel",
    Move.START_SUPPORT: "Support plan agreed",
    Move.COMPLETE_SUPPORT: "Support completed: close the case",
    Move.CLOSE_WITHOUT_REFERRAL: "Close without a referral",
    Move.RECORD_6_MONTH_REVIEW: "6-month review done",
    Move.RECORD_12_MONTH_REVIEW: "12-month review done",
    Move.ARCHIVE: "Archive the case",
}
EXIT_LABELS = {
    ExitReason.SIGNPOSTED: "Signposted to other services",
    ExitReason.ESCALATED_POLICE_LED: "Risk increased: escalated to police-led space",
    ExitReason.NON_CONSENT: "The person did not consent",
    ExitReason.NO_OR_REDUCED_VULNERABILITY: "No vulnerability, or vulnerability reduced",
}


@router.page("/cases", permission=Permission.CASE_VIEW_OWN)
async def case_list(request: Request, stage: str | None = None) -> Response:
    user = user_of(request)
    chosen = Stage(stage) if stage in {s.value for s in Stage} else None
    own_only = not allows(user.role, Permission.CASE_VIEW_ALL)
    with records_of(request).new_unit_of_work() as uow:
        cases = list_cases(
            uow=uow, actor=user.username, stage=chosen, raised_by=user.username if own_only else None
        )
    return render(
        request,
        "cases/list.html",
        cases=cases,
        stages=[s.value for s in Stage],
        chosen=stage,
        own_only=own_only,
    )


@router.page("/cases/{case_id}", permission=Permission.CASE_VIEW_OWN)
async def case_page(
    request: Request, case_id: RecordId, recorded: str | None = None, flagged: int = 0, scope: str = ""
) -> Response:
    case = load_case_for(request, case_id)
    return _case_page(request, case, recorded=recorded, flagged=flagged, withdrawn_scope=scope)


def _case_page(
    request: Request,
    case: CaseDetail,
    *,
    recorded: str | None = None,
    flagged: int = 0,
    withdrawn_scope: str = "",
    errors: dict[str, object] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    lapsed: dict[int, str] = {}
    if allows(user_of(request).role, Permission.CASE_VIEW_ALL):  # the reasons may name the IG advice
        with records_of(request).new_unit_of_work().reading() as uow:
            lapsed = lapsed_decisions(uow, case.id)
    return render(
        request,
        "cases/show.html",
        status_code=400 if errors else 200,
        case=case,
        next_due=next_deadline(case),
        lapsed=lapsed,
        recorded=recorded,
        flagged=flagged,
        withdrawn_scope=withdrawn_scope,
        scope_labels=SCOPE_HEADINGS,
        giver_labels=option_labels(GIVEN_BY),
        reason_labels=option_labels(NOT_SOUGHT),
        move_labels={m.value: label for m, label in MOVE_LABELS.items()},
        exit_labels=[(r.value, label) for r, label in EXIT_LABELS.items()],
        adviser_labels=option_labels(ADVISER),
        errors=errors,
        values=values or {},
        today=records_of(request).today(),
    )


MOVE_DATES = {
    "on": "The date it happened",
    "information_request_on": "The date the request for information arrived",
}
"""The move form's dates, by the field the service names when it refuses one, and how the page names them."""
_ISO_DAY = re.compile(r"\b([0-9]{4})-([0-9]{2})-([0-9]{2})\b")


def _as_page_dates(message: str) -> str:
    """A service's message with its dates as the page writes them (28 November 2026), not as the API
    and CLI do."""
    return _ISO_DAY.sub(lambda m: long_date(date(int(m[1]), int(m[2]), int(m[3]))), message)


@router.page("/cases/{case_id}/move", permission=Permission.CASE_MANAGE, methods=("POST",))
async def move_case(
    request: Request,
    case_id: RecordId,
    move: Annotated[str, Form()] = "",
    exit_reason: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
) -> Response:
    user = user_of(request)
    error, field = None, "move"
    today = records_of(request).today()
    form = await request.form()
    # Moves are often recorded after they happened: the form asks the day (filled in with today). A
    # client that sends no date at all is taken to mean today, as before the form asked.
    sent_on = any(form.get(f"on[{part}]") is not None for part in ("day", "month", "year"))
    on = date_in_form(form, "on") if sent_on else today
    # The 5 working days of information gathering run from the day the panel's request arrived
    # (guidance §5), which may be before the move is recorded.
    asked = date_in_form(form, "information_request_on")
    # The recorded request that asked, when the lead names one: its arrival is then the day asked, and
    # the date boxes (filled in with today) are not read.
    asked_by = str(form.get("information_request_id") or "")
    asked_by_id = int(asked_by) if is_record_id(asked_by) else None
    gathering = move == Move.GATHER_INFORMATION.value
    if move not in {m.value for m in Move}:
        error = "Choose what happened"
    elif move == Move.EXIT.value and exit_reason not in {r.value for r in ExitReason}:
        error, field = "Choose why the case is leaving the pathway", "exit_reason"
    elif (problem := past_date_problem(on, "it happened", today)) is not None:
        error, field = problem, "on"
    elif gathering and asked_by and asked_by_id is None:
        error, field = "Choose the request that asked for the information", "information_request_id"
    elif (
        gathering
        and asked_by_id is None
        and (problem := past_date_problem(asked, "the request for information arrived", today))
    ):
        error, field = problem, "information_request_on"
    if error is None and on is not None:
        try:
            with records_of(request).new_unit_of_work() as uow:
                advance_case(
                    uow=uow,
                    actor=user.username,
                    case_id=case_id,
                    move=Move(move),
                    on=on,
                    calendar=engine_config_for(request).calendar,
                    exit_reason=ExitReason(exit_reason) if move == Move.EXIT.value else None,
                    information_request_on=asked if gathering and asked_by_id is None else None,
                    information_request_id=asked_by_id if gathering else None,
                    expected_version=version,
                )
        except InvalidFieldError as refusal:
            if refusal.field in MOVE_DATES:  # shown at the date at fault, named as the page names it
                field, error = refusal.field, f"{MOVE_DATES[refusal.field]} {_as_page_dates(refusal.message)}"
            elif refusal.field == "information_request_id":  # a request the form did not offer
                field, error = refusal.field, as_sentence(refusal.message)
            else:
                error = str(refusal)
        except RefusedError as refusal:
            error = str(refusal)
    if error:
        case = load_case_for(request, case_id)
        href = f"#{field}-day" if field in MOVE_DATES else f"#{field}"  # a date's first box
        # The answers come back as given, so a date put right is the only thing to change.
        keys = ["move", "exit_reason", "information_request_id"] + [
            f"{n}[{part}]" for n in MOVE_DATES for part in ("day", "month", "year")
        ]
        values = {key: str(given) for key in keys if (given := form.get(key)) is not None}
        return _case_page(request, case, errors={field: {"text": error, "href": href}}, values=values)
    return RedirectResponse(f"/cases/{case_id}?recorded=move", status_code=303)


@router.page("/cases/{case_id}/referral", permission=Permission.CASE_MANAGE)
async def referral_page(request: Request, case_id: RecordId, email: str = "") -> Response:
    case = load_case_for(request, case_id)
    current = [a for a in case.assessments if a.purpose == "prevent_referral" and a.superseded_by_id is None]
    check = None
    if email:
        try:
            result = check_email(
                email,
                accredited_domains=engine_config_for(request).accredited_on(records_of(request).today()),
            )
            check = {
                "ok": result.secure,
                "text": f"{result.domain} is a secure domain: no further action needed."
                if result.secure
                else f"{result.domain} is not secure: put [secure] in the subject line.",
            }
        except MalformedAddressError as error:
            check = {"ok": False, "text": f"That is not a valid email address: {error}"}
    with records_of(request).new_unit_of_work().reading() as uow:  # a register: no case data
        prevent_leads = register_contacts(uow).get("prevent_lead", [])
    with records_of(request).new_unit_of_work() as uow:
        left_out = left_out_of_referral(uow=uow, actor=user_of(request).username, case_id=case_id)
    return render(
        request,
        "cases/referral.html",
        case=case,
        assessment=current[-1] if current else None,
        email=email,
        email_check=check,
        prevent_leads=prevent_leads,
        left_out=left_out,
    )


@router.page("/concerns/new", permission=Permission.CONCERN_RAISE)
async def concern_form(request: Request) -> Response:
    return render(request, "cases/new_concern.html", values={}, roles=[r.value for r in SubjectRole])


@router.page("/concerns/new", permission=Permission.CONCERN_RAISE, methods=("POST",))
async def concern_submit(request: Request) -> Response:
    form = await request.form()
    values = {
        key: str(form.get(key) or "").strip()
        for key in (
            "role",
            "given_name",
            "family_name",
            "nhs_number",
            "dob[day]",
            "dob[month]",
            "dob[year]",
            "address",
            "adult_at_risk",
            "concern",
        )
    }
    errors: dict[str, dict[str, str]] = {}
    if values["role"] not in {r.value for r in SubjectRole}:
        errors["role"] = {"text": "Say who the concern is about", "href": "#role"}
    for key, text in (
        ("given_name", "Enter their first name"),
        ("family_name", "Enter their last name"),
        ("address", "Enter their address"),
        ("concern", "Describe what you noticed"),
    ):
        if not values[key]:
            errors[key] = {"text": text, "href": f"#{key}"}
    found = date_in_form(values, "dob")
    born = found or records_of(request).today()  # stands in only while the form is shown again
    if found is None:
        errors["dob"] = {"text": "Enter a real date of birth, for example 17 5 1990", "href": "#dob-day"}
    user = user_of(request)
    if not errors:
        try:
            with records_of(request).new_unit_of_work() as uow:
                case_id = raise_concern(
                    uow=uow,
                    actor=user.username,
                    concern=values["concern"],
                    owner="unassigned",
                    on=records_of(request).today(),
                    subject=NewSubject(
                        role=SubjectRole(values["role"]),
                        given_name=values["given_name"],
                        family_name=values["family_name"],
                        date_of_birth=born,
                        address=values["address"],
                        nhs_number=values["nhs_number"] or None,
                        adult_at_risk=values["adult_at_risk"] == "yes",
                    ),
                )
        except InvalidFieldError as error:
            field = {
                "subject.nhs_number": "nhs_number",
                "subject.date_of_birth": "dob",
                "subject.adult_at_risk": "adult_at_risk",
            }.get(error.field, "concern")
            if field == "dob":  # the date input: name it in the message, link to its first box
                errors[field] = {"text": f"Date of birth {error.message}", "href": "#dob-day"}
            else:
                errors[field] = {"text": as_sentence(error.message), "href": f"#{field}"}
    if errors:
        return render(
            request,
            "cases/new_concern.html",
            status_code=400,
            values=values,
            errors=errors,
            roles=[r.value for r in SubjectRole],
        )
    return RedirectResponse(f"/cases/{case_id}?recorded=concern", status_code=303)
