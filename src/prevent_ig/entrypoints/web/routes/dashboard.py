"""Journey 6: the Prevent lead's dashboard."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.engine_config import engine_config_for
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.dashboard import dismiss_notifications, lead_dashboard
from prevent_ig.services.errors import NotFoundError

router = PermissionRouter()


@router.page("/dashboard", permission=Permission.DASHBOARD_VIEW)
async def dashboard(request: Request) -> Response:
    user = user_of(request)
    calendar = engine_config_for(request).calendar
    with records_of(request).new_unit_of_work() as uow:
        board = lead_dashboard(
            uow=uow, actor=user.username, today=records_of(request).today(), calendar=calendar
        )
    return render(request, "dashboard.html", board=board, today=records_of(request).today())


@router.page(
    "/dashboard/notifications/{notification_id}/dismiss", permission=Permission.CASE_MANAGE, methods=("POST",)
)
async def dismiss_one(request: Request, notification_id: RecordId) -> Response:
    return _dismiss(request, notification_id)


@router.page("/dashboard/notifications/dismiss", permission=Permission.CASE_MANAGE, methods=("POST",))
async def dismiss_all(request: Request) -> Response:
    return _dismiss(request, None)


def _dismiss(request: Request, notification_id: int | None) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            dismiss_notifications(uow=uow, actor=user_of(request).username, notification_id=notification_id)
    except NotFoundError as missing:
        return render(
            request,
            "message.html",
            status_code=404,
            heading="There is no such notification",
            paragraphs=[as_sentence(str(missing)) + "."],
            link={"href": "/dashboard", "text": "Back to the dashboard"},
        )
    return RedirectResponse("/dashboard#notifications", status_code=303)
