"""Issue 5 in the browser: document downloads, sending by secure email, the demo mail sink, and
partner requests arriving by email (upload, review the draft, complete it)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.mail.inbound import MAX_EMAIL_BYTES
from prevent_ig.adapters.mail.settings import SmtpSettings
from prevent_ig.adapters.mail.sink import SinkError, list_sink_messages, read_sink_message
from prevent_ig.domain.access import Permission
from prevent_ig.domain.law.vocabulary import Purpose, RecipientType
from prevent_ig.entrypoints.record_ids import case_number, is_record_id
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.case_access import load_case_for
from prevent_ig.entrypoints.web.engine_config import engine_config_for
from prevent_ig.entrypoints.web.form_dates import date_in_form, past_date_problem
from prevent_ig.entrypoints.web.interview import PURPOSE, RECIPIENT, REQUEST_CHECKS, legal_power_options
from prevent_ig.entrypoints.web.routes.requests import FORM_FIELDS
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.documents import (
    IssuedDocument,
    issue_clarification_letter,
    issue_record_note,
    issue_referral,
)
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, ServiceError
from prevent_ig.services.outbox import (
    outbox_overview,
    record_sink_view,
    requeue_message,
    resend_message,
    send_referral,
)
from prevent_ig.services.request_import import (
    DraftCompletion,
    complete_draft,
    import_request_email,
    past_due_by_its_own_date,
    view_draft,
)

router = PermissionRouter()
SINK = Path("data/mail-sink")
NOT_FOUND = 404


def _download(issued: IssuedDocument) -> Response:
    return Response(
        issued.content,
        media_type=issued.media_type,
        headers={"Content-Disposition": f'attachment; filename="{issued.filename}"'},
    )


def _refused(
    request: Request,
    heading: str,
    error: Exception,
    back: str,
    *,
    back_text: str = "Go back",
    status_code: int | None = None,
) -> Response:
    """The page for an action the service refused: 404 for a record that is not there, else 409 (the
    record is in the wrong state) unless the caller knows better (400 for what the user typed)."""
    return render(
        request,
        "message.html",
        status_code=status_code or (NOT_FOUND if isinstance(error, NotFoundError) else 409),
        heading=heading,
        paragraphs=[as_sentence(str(error))],
        link={"href": back, "text": back_text},
    )


@router.page("/cases/{case_id}/referral-form.pdf", permission=Permission.CASE_MANAGE)
async def referral_form(request: Request, case_id: RecordId) -> Response:
    load_case_for(request, case_id)
    try:
        with records_of(request).new_unit_of_work() as uow:
            issued = issue_referral(
                uow=uow,
                actor=user_of(request).username,
                case_id=case_id,
                on=records_of(request).today(),
                renderer=PdfRenderer(),
            )
    except ServiceError as error:
        return _refused(request, "The referral form cannot be made yet", error, f"/cases/{case_id}/referral")
    return _download(issued)


@router.page("/cases/{case_id}/referral/send", permission=Permission.CASE_MANAGE, methods=("POST",))
async def send_referral_form(request: Request, case_id: RecordId) -> Response:
    load_case_for(request, case_id)
    to = str((await request.form()).get("to") or "").strip()
    try:
        with records_of(request).new_unit_of_work() as uow:
            queued = send_referral(
                uow=uow,
                actor=user_of(request).username,
                case_id=case_id,
                to=to,
                on=records_of(request).today(),
                renderer=PdfRenderer(),
                config=engine_config_for(request),
                from_address=SmtpSettings().checked_from_address(),
            )
    except (ServiceError, ValueError) as error:
        back = f"/cases/{case_id}/referral"
        return _refused(
            request,
            "The referral was not sent",
            error,
            back,
            back_text="Back to the referral",
            status_code=400,
        )
    return RedirectResponse(f"/cases/{case_id}?recorded=queued-{queued.outbox_id}", status_code=303)


def _decision_document(
    request: Request, assessment_id: int, issue: Callable[..., IssuedDocument], heading: str, back: str
) -> Response:
    """Issue one document from a recorded decision and send it to the browser (the service audits it)."""
    try:
        with records_of(request).new_unit_of_work() as uow:
            issued = issue(
                uow=uow,
                actor=user_of(request).username,
                assessment_id=assessment_id,
                on=records_of(request).today(),
                renderer=PdfRenderer(),
            )
    except ServiceError as error:
        return _refused(request, heading, error, back)
    return _download(issued)


@router.page(
    "/decisions/{assessment_id}/clarification-letter.pdf",
    permission=Permission.REQUEST_MANAGE,
    methods=("POST",),
)
async def clarification_letter(request: Request, assessment_id: RecordId) -> Response:
    """A POST, not a link: issuing the letter stops the request's clock, and a GET must change nothing
    (a browser or a mail scanner may follow a link on its own)."""
    return _decision_document(
        request,
        assessment_id,
        issue_clarification_letter,
        "No clarification letter for this decision",
        "/requests",
    )


@router.page("/decisions/{assessment_id}/record-note.pdf", permission=Permission.CASE_MANAGE)
async def record_note(request: Request, assessment_id: RecordId) -> Response:
    return _decision_document(
        request, assessment_id, issue_record_note, "No record note for this decision", "/cases"
    )


@router.page("/mail", permission=Permission.DASHBOARD_VIEW)
async def mail_overview(request: Request) -> Response:
    with records_of(request).new_unit_of_work() as uow:
        overview = outbox_overview(uow=uow, actor=user_of(request).username)
    sink = list_sink_messages(SINK) if request.app.state.web.demo_mode and SINK.is_dir() else []
    return render(request, "mail/overview.html", overview=overview, sink=sink, resent=_resent(request))


def _resent(request: Request) -> tuple[int, int] | None:
    """The pair of message numbers a send-again redirected with (``?resent=OLD-NEW``), if well formed;
    anything else is ignored, as it only chooses a notice."""
    old, _, new = request.query_params.get("resent", "").partition("-")
    if is_record_id(old) and is_record_id(new):
        return int(old), int(new)
    return None


@router.page("/mail/{outbox_id}/retry", permission=Permission.CASE_MANAGE, methods=("POST",))
async def retry(request: Request, outbox_id: RecordId) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            requeue_message(
                uow=uow,
                actor=user_of(request).username,
                outbox_id=outbox_id,
                config=engine_config_for(request),
            )
    except ServiceError as error:
        return _refused(request, "The message was not queued again", error, "/mail")
    return RedirectResponse("/mail", status_code=303)


@router.page("/mail/{outbox_id}/resend", permission=Permission.CASE_MANAGE, methods=("POST",))
async def resend(request: Request, outbox_id: RecordId) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            queued = resend_message(
                uow=uow,
                actor=user_of(request).username,
                outbox_id=outbox_id,
                config=engine_config_for(request),
                from_address=SmtpSettings().checked_from_address(),
            )
    except (ServiceError, ValueError) as error:
        return _refused(
            request, "The message was not sent again", error, "/mail", back_text="Back to secure email"
        )
    return RedirectResponse(f"/mail?resent={outbox_id}-{queued.outbox_id}", status_code=303)


@router.page("/mail/sink/{filename}", permission=Permission.DASHBOARD_VIEW)
def sink_message(request: Request, filename: str) -> Response:
    if not request.app.state.web.demo_mode:
        raise HTTPException(NOT_FOUND)
    try:
        raw = read_sink_message(SINK, filename)
    except (OSError, ValueError, SinkError):
        raise HTTPException(NOT_FOUND) from None
    with records_of(request).new_unit_of_work() as uow:
        record_sink_view(uow=uow, actor=user_of(request).username, filename=filename, raw=raw)
    return Response(
        raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{Path(filename).name}"'},
    )


@router.page("/requests/import", permission=Permission.REQUEST_MANAGE)
async def import_page(request: Request) -> Response:
    return render(request, "requests/import.html", max_mb=MAX_EMAIL_BYTES // (1024 * 1024))


def _import_upload(request: Request, raw: bytes, case_id: int) -> int:
    with records_of(request).new_unit_of_work() as uow:
        draft = import_request_email(
            uow=uow,
            actor=user_of(request).username,
            raw=raw,
            on=records_of(request).today(),
            config=engine_config_for(request),
            case_id=case_id,
        )
    return draft.id


@router.page("/requests/import", permission=Permission.REQUEST_MANAGE, methods=("POST",))
async def import_upload(request: Request) -> Response:
    form = await request.form()
    upload = form.get("email_file")
    case_text = str(form.get("case_id") or "").strip()
    errors: dict[str, dict[str, str]] = {}
    raw = b""
    if upload is None or isinstance(upload, str) or not upload.filename:
        errors["email_file"] = {"text": "Choose the request email (.eml file)", "href": "#email_file"}
    else:
        raw = await upload.read(MAX_EMAIL_BYTES + 1)
    case_id = case_number(case_text, missing="Enter the number of the case the request is about")
    if isinstance(case_id, str):
        errors["case_id"] = {"text": case_id, "href": "#case_id"}
    elif not errors:
        try:
            # Parsing an untrusted email of up to 20 MB is CPU work: in the thread pool, not on the
            # event loop, where it would hold up every other request while it ran.
            draft_id = await run_in_threadpool(_import_upload, request, raw, case_id)
            return RedirectResponse(f"/requests/drafts/{draft_id}", status_code=303)
        except InvalidFieldError as error:
            errors["email_file"] = {
                "text": f"The email could not be used: {error.message}",
                "href": "#email_file",
            }
        except ServiceError as error:
            errors["email_file"] = {"text": as_sentence(str(error)), "href": "#email_file"}
    return render(
        request,
        "requests/import.html",
        status_code=400,
        errors=errors,
        max_mb=MAX_EMAIL_BYTES // (1024 * 1024),
        case_id=case_text,
    )


def _draft_page(
    request: Request, draft_id: int, values: dict[str, Any], errors: dict[str, Any] | None = None
) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            draft = view_draft(uow=uow, actor=user_of(request).username, draft_id=draft_id)
    except NotFoundError:
        raise HTTPException(NOT_FOUND) from None
    if "received[day]" not in values:  # first shown: the day the email says it was sent, in England
        values.update(
            {
                "received[day]": str(draft.received_on.day),
                "received[month]": str(draft.received_on.month),
                "received[year]": str(draft.received_on.year),
            }
        )
    return render(
        request,
        "requests/draft.html",
        status_code=400 if errors else 200,
        draft=draft,
        past_due_on=past_due_by_its_own_date(
            draft.received_on,
            draft.imported_on,
            engine_config_for(request).calendar,
            records_of(request).today(),
        ),
        values=values,
        errors=errors,
        purposes=PURPOSE,
        recipients=RECIPIENT,
        checks=REQUEST_CHECKS,
        powers=legal_power_options(),
    )


@router.page("/requests/drafts/{draft_id}", permission=Permission.REQUEST_MANAGE)
async def draft_page(request: Request, draft_id: RecordId) -> Response:
    return _draft_page(request, draft_id, {"checks": [], "powers": []})


@router.page("/requests/drafts/{draft_id}", permission=Permission.REQUEST_MANAGE, methods=("POST",))
async def complete(request: Request, draft_id: RecordId) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        k: str(form.get(k) or "").strip()
        for k in (
            "organisation",
            "person",
            "role",
            "recipient_type",
            "purpose",
            "items",
            "case_id",
            "received[day]",
            "received[month]",
            "received[year]",
        )
    }
    values["checks"] = [str(c) for c in form.getlist("checks")]
    values["powers"] = [str(p) for p in form.getlist("powers")]
    errors: dict[str, dict[str, str]] = {}
    if values["recipient_type"] not in {r.value for r in RecipientType}:
        errors["recipient_type"] = {"text": "Choose the kind of organisation", "href": "#recipient_type"}
    if values["purpose"] not in {p.value for p in Purpose}:
        errors["purpose"] = {"text": "Choose what the information is for", "href": "#purpose"}
    # As on the new-request form: the lead confirms or corrects the day the email arrived, which the
    # clock counts from, rather than the day it was imported.
    received = date_in_form(values, "received")
    if problem := past_date_problem(received, "the request arrived", records_of(request).today()):
        errors["received"] = {"text": problem, "href": "#received-day"}
    case_id = case_number(values["case_id"], missing="Enter the case number")
    if isinstance(case_id, str):
        errors["case_id"] = {"text": case_id, "href": "#case_id"}
    elif not errors:
        checks = set(values["checks"])
        try:
            with records_of(request).new_unit_of_work() as uow:
                request_id = complete_draft(
                    uow=uow,
                    actor=user_of(request).username,
                    draft_id=draft_id,
                    case_id=case_id,
                    calendar=engine_config_for(request).calendar,
                    today=records_of(request).today(),
                    completion=DraftCompletion(
                        organisation=values["organisation"],
                        person=values["person"],
                        role=values["role"],
                        recipient_type=RecipientType(values["recipient_type"]),
                        purpose=Purpose(values["purpose"]),
                        items_requested=[
                            line.strip() for line in values["items"].splitlines() if line.strip()
                        ],
                        legal_powers_cited=values["powers"],
                        proforma="proforma" in checks,
                        secure_channel="secure_channel" in checks,
                        consent_position_stated="consent_position_stated" in checks,
                        reason_given="reason_given" in checks,
                        specific="specific" in checks,
                        received_on=received,
                    ),
                )
            return RedirectResponse(f"/requests/{request_id}", status_code=303)
        except InvalidFieldError as error:
            # Named as on the request form (an item of the list at the list); anything else the
            # service checks is shown at the case number, where the lead acts on the draft.
            field = FORM_FIELDS.get(error.field.split(".")[0], error.field)
            field = field if field in values or field == "received" else "case_id"
            href = "#received-day" if field == "received" else f"#{field}"
            errors[field] = {"text": as_sentence(error.message), "href": href}
        except ServiceError as error:
            errors["case_id"] = {"text": as_sentence(str(error)), "href": "#case_id"}
    return _draft_page(request, draft_id, values, errors)
