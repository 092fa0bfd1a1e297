"""Every route declares the permission it needs; the guard enforces it, and checks CSRF on posts.

``PermissionRouter.page`` will not register a route without a permission, and a test walks the whole
app to prove no route slipped through.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from prevent_ig.adapters.records.tables import MAX_ID
from prevent_ig.bootstrap import Records
from prevent_ig.domain.access import Permission, allows
from prevent_ig.entrypoints.database_trouble import DATABASE_ERRORS, log_database_error
from prevent_ig.entrypoints.refused_routes import refused_route
from prevent_ig.entrypoints.web.security import tokens_match
from prevent_ig.services.accounts import SessionState, SignedInUser, session_for

PERMISSION_KEY = "x-permission"
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A record id in a URL: 32-bit on every database we support, so larger numbers are refused."""
SESSION_COOKIE = "prevent_ig_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequiredError(Exception):
    def __init__(self, next_path: str, *, second_factor: bool = False) -> None:
        self.next_path = next_path
        self.second_factor = second_factor


class ForbiddenError(Exception):
    """The signed-in user's role does not allow this page."""


class CsrfError(Exception):
    """A form arrived without this session's token: possibly a forged cross-site request."""


def records_of(request: Request) -> Records:
    records: Records = request.app.state.records
    return records


def current_session(request: Request) -> SessionState | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    web = request.app.state.web
    with records_of(request).new_unit_of_work() as uow:
        return session_for(
            uow=uow,
            token=token,
            idle_timeout=timedelta(minutes=web.idle_timeout_minutes),
            lifetime=timedelta(hours=web.session_hours),
        )


def guard(permission: Permission) -> Callable[[Request], Awaitable[None]]:
    async def check(request: Request) -> None:
        request.state.user = None
        request.state.csrf_token = None
        if permission is Permission.PUBLIC:
            return
        state = current_session(request)
        if state is None:
            raise SignInRequiredError(request.url.path)
        if not state.second_factor_done:
            raise SignInRequiredError(request.url.path, second_factor=True)
        request.state.user = state.user
        request.state.csrf_token = state.csrf_token
        if not allows(state.user.role, permission):
            await _note_refusal(request, state.user)
            raise ForbiddenError
        if request.method in UNSAFE_METHODS:
            form = await request.form()
            given = form.get("csrf_token")
            if not tokens_match(state.csrf_token, given if isinstance(given, str) else None):
                raise CsrfError

    check.__name__ = f"requires_{permission.value.replace(':', '_')}"
    return check


async def _note_refusal(request: Request, user: SignedInUser) -> None:
    """Audit a page the user's role does not allow, as the API audits a refused call.

    The event has its own short transaction, in the thread pool as the API's does, since the request
    ends in a refusal and has no use case to carry it. The refusal stands whatever the database does:
    if the event cannot be written, that is logged and the person still gets the 403 page, not a 500
    (raised from the 403 handler, the error would reach only the catch-all) nor a 503 inviting them
    to try again for a page they may never see.
    """
    entity, case_id = refused_route(request)
    try:
        await run_in_threadpool(_record_refusal, records_of(request), user.username, entity, case_id)
    except DATABASE_ERRORS as error:
        log_database_error(f"the audit of a refused {request.method} {entity}", error)


def _record_refusal(records: Records, actor: str, entity: str, case_id: int | None) -> None:
    with records.new_unit_of_work() as uow:
        uow.audit.record(actor=actor, event="web:page:refuse", case_id=case_id, entity=entity)
        uow.commit()


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """Our cookies: never readable by scripts, never sent from another site, HTTPS only when served so."""
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=request.app.state.web.secure_cookies, path="/"
    )


def user_of(request: Request) -> SignedInUser:
    user: SignedInUser | None = request.state.user
    if user is None:
        raise SignInRequiredError(request.url.path)
    return user


class PermissionRouter(APIRouter):
    def page(
        self, path: str, *, permission: Permission, methods: tuple[str, ...] = ("GET",)
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_route(
                path,
                endpoint,
                methods=list(methods),
                dependencies=[Depends(guard(permission))],
                include_in_schema=False,
                response_class=HTMLResponse,
                openapi_extra={PERMISSION_KEY: permission.value},
            )
            return endpoint

        return register


def sign_in_location(next_path: str, *, second_factor: bool) -> str:
    target = "/sign-in/code" if second_factor else "/sign-in"
    return f"{target}?next={quote(next_path, safe='/')}"


def page_routes(routes: list[Any]) -> list[APIRoute]:
    """Every API route, looking inside included routers (FastAPI wraps them since 0.160)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(page_routes(list(route.original_router.routes)))
    return found
