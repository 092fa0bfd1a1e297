"""Journey 6: the Prevent lead's dashboard."""

from fastapi import Request
from fastapi.responses import Response

from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.web.auth import PermissionRouter, records_of, user_of
from prevent_ig.entrypoints.web.engine_config import engine_config_for
from prevent_ig.entrypoints.web.templating import render
from prevent_ig.services.dashboard import lead_dashboard

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
