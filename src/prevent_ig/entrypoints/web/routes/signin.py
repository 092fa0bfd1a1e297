"""Signing in (password, then a one-time code) and out; the home page.

Before a session exists, forms are protected with a double-submit token: a random value in a
cookie that must come back in the form, which a cross-site page cannot read.

The handlers that check a password or a code, or end a session, are plain functions, so they run in
the thread pool: an argon2 check takes tens of milliseconds of CPU, and run on the event loop it held
up every other request while anyone (signed in or not) posted passwords.
"""

import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.web.auth import SESSION_COOKIE, PermissionRouter, records_of, set_cookie
from prevent_ig.entrypoints.web.security import tokens_match
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.accounts import complete_sign_in, sign_out, start_sign_in
from prevent_ig.services.errors import RefusedError

router = PermissionRouter()
PRE_CSRF_COOKIE = "prevent_ig_presession"


def _safe_next(next_path: str | None) -> str:
    """Only paths on this site: never an open redirect to another host."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return "/"
    return next_path


def _with_pre_csrf(request: Request, template: str, **context: object) -> Response:
    token = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)
    status = 400 if context.get("errors") else 200
    response = render(request, template, pre_csrf=token, status_code=status, **context)
    set_cookie(request, response, PRE_CSRF_COOKIE, token)
    return response


@router.page("/sign-in", permission=Permission.PUBLIC)
async def sign_in_page(request: Request, next: str = "/") -> Response:
    return _with_pre_csrf(request, "sign_in.html", next_path=_safe_next(next), username="")


@router.page("/sign-in", permission=Permission.PUBLIC, methods=("POST",))
def sign_in_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if not tokens_match(request.cookies.get(PRE_CSRF_COOKIE, ""), csrf_token):
        return _with_pre_csrf(
            request,
            "sign_in.html",
            next_path=_safe_next(next),
            username=username,
            errors={"username": {"text": "Your session expired: please try again", "href": "#username"}},
        )
    errors = {}
    if not username.strip():
        errors["username"] = {"text": "Enter your username", "href": "#username"}
    if not password:
        errors["password"] = {"text": "Enter your password", "href": "#password"}
    if not errors:
        try:
            with records_of(request).new_unit_of_work() as uow:
                token = start_sign_in(uow=uow, username=username.strip(), password=password)
        except RefusedError as refusal:
            errors["username"] = {"text": as_sentence(str(refusal)), "href": "#username"}
    if errors:
        return _with_pre_csrf(
            request, "sign_in.html", next_path=_safe_next(next), username=username, errors=errors
        )
    response = RedirectResponse(f"/sign-in/code?next={_safe_next(next)}", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


@router.page("/sign-in/code", permission=Permission.PUBLIC)
async def code_page(request: Request, next: str = "/") -> Response:
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/sign-in", status_code=303)
    return _with_pre_csrf(request, "sign_in_code.html", next_path=_safe_next(next))


@router.page("/sign-in/code", permission=Permission.PUBLIC, methods=("POST",))
def code_submit(
    request: Request,
    code: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return RedirectResponse("/sign-in", status_code=303)
    error = None
    signed_in = ""
    if not tokens_match(request.cookies.get(PRE_CSRF_COOKIE, ""), csrf_token):
        error = "Your session expired: please try again"
    elif not (code.strip().isdigit() and len(code.strip()) == 6):
        error = "Enter the 6-digit code from your authenticator app"
    else:
        try:
            with records_of(request).new_unit_of_work() as uow:
                _, signed_in = complete_sign_in(uow=uow, token=token, code=code)
        except RefusedError as refusal:
            error = as_sentence(str(refusal))
    if error:
        return _with_pre_csrf(
            request,
            "sign_in_code.html",
            next_path=_safe_next(next),
            errors={"code": {"text": error, "href": "#code"}},
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, signed_in)  # a new token: the old one is ended
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.page("/sign-out", permission=Permission.SIGNED_IN)
async def sign_out_page(request: Request) -> Response:
    return render(request, "sign_out.html")


@router.page("/sign-out", permission=Permission.SIGNED_IN, methods=("POST",))
def sign_out_submit(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with records_of(request).new_unit_of_work() as uow:
            sign_out(uow=uow, token=token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.page("/", permission=Permission.SIGNED_IN)
async def home(request: Request) -> Response:
    return render(request, "home.html")


@router.page("/accessibility", permission=Permission.PUBLIC)
async def accessibility(request: Request) -> Response:
    return render(
        request,
        "message.html",
        heading="Accessibility statement",
        paragraphs=[
            "prevent-ig aims to meet WCAG 2.2 at level AA. Every page works without JavaScript and with a "
            "keyboard alone, and each release is checked with an automated accessibility scanner.",
            "If you find a barrier, tell your organisation's IG team so it can be fixed.",
        ],
    )
