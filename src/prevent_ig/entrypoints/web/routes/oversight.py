"""Reports for oversight: were partner requests answered within 5 working days? On a page, and as a
CSV for the board pack or the auditor's own checks."""

from datetime import date, timedelta

from fastapi import Request
from fastapi.responses import Response

from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.web.auth import PermissionRouter, records_of, user_of
from prevent_ig.entrypoints.web.engine_config import engine_config_for
from prevent_ig.entrypoints.web.form_dates import iso_date
from prevent_ig.entrypoints.web.interview import PURPOSE, RECIPIENT, option_labels
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.errors import InvalidFieldError
from prevent_ig.services.oversight import (
    DEFAULT_DAYS,
    Timeliness,
    TimelinessReport,
    report_csv,
    timeliness_report,
)

router = PermissionRouter()

TIMELINESS_LABELS = {
    Timeliness.ANSWERED_ON_TIME: "Answered on time",
    Timeliness.ANSWERED_LATE: "Answered late",
    Timeliness.OPEN_IN_TIME: "Open, still in time",
    Timeliness.OPEN_OVERDUE: "Open and overdue",
    Timeliness.AWAITING_CLARIFICATION: "Waiting for the requestor to clarify (clock stopped)",
}


@router.page("/oversight", permission=Permission.OVERSIGHT_VIEW)
async def report_page(request: Request) -> Response:
    report = _asked(request)
    if isinstance(report, dict):
        return _page(request, None, report)
    return _page(request, report, {})


@router.page("/oversight/requests.csv", permission=Permission.OVERSIGHT_VIEW)
async def report_download(request: Request) -> Response:
    report = _asked(request, exported=True)
    if isinstance(report, dict):
        return _page(request, None, report)
    body = report_csv(report)
    name = f"partner-requests-{report.start.isoformat()}-to-{report.end.isoformat()}.csv"
    return Response(
        # With a byte-order mark, which spreadsheets need to read UTF-8 (accents in a partner's name).
        "\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


Errors = dict[str, dict[str, str]]


def _asked(request: Request, *, exported: bool = False) -> TimelinessReport | Errors:
    """The report for the period asked for (``from`` and ``to``, ISO dates; the last quarter by
    default), or the errors naming what is wrong with the period."""
    today = records_of(request).today()
    chosen: dict[str, date] = {}
    errors: Errors = {}
    for name, default in (("from", today - timedelta(days=DEFAULT_DAYS)), ("to", today)):
        text = request.query_params.get(name, "").strip()
        found = iso_date(text) if text else default
        if found is not None:
            chosen[name] = found
        else:
            words = "start" if name == "from" else "end"
            errors[name] = {"text": f"Enter the {words} of the period as a date", "href": f"#{name}"}
    if errors:
        return errors
    try:
        with records_of(request).new_unit_of_work().reading() as uow:
            return timeliness_report(
                uow=uow,
                actor=user_of(request).username,
                start=chosen["from"],
                end=chosen["to"],
                today=today,
                calendar=engine_config_for(request).calendar,
                exported=exported,
            )
    except InvalidFieldError as error:
        return {error.field: {"text": as_sentence(error.message), "href": f"#{error.field}"}}


def _page(request: Request, report: TimelinessReport | None, errors: Errors) -> Response:
    values = {name: request.query_params.get(name, "") for name in ("from", "to")}
    if report is not None:
        values = {"from": report.start.isoformat(), "to": report.end.isoformat()}
    return render(
        request,
        "oversight/requests.html",
        status_code=400 if errors else 200,
        report=report,
        values=values,
        errors=[errors[name] for name in ("from", "to") if name in errors],
        field_errors=errors,
        timeliness_labels=TIMELINESS_LABELS,
        counted=list(TIMELINESS_LABELS.items()),
        recipient_labels=option_labels(RECIPIENT),
        purpose_labels=option_labels(PURPOSE),
    )
