"""A signed-in user changes their own password.

Every role can do this, because a password someone else may have seen must be changeable at once,
without waiting for an administrator. The current password is asked for again (a session left open is
not enough), every session of the account ends, and this browser carries on in a new one
(``services.accounts.change_password``).
"""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.web.auth import SESSION_COOKIE, PermissionRouter, records_of, set_cookie, user_of
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.accounts import MIN_PASSWORD_LENGTH, SessionEndedError, change_password
from prevent_ig.services.errors import InvalidFieldError, RefusedError

router = PermissionRouter()
FIELD_ORDER = ("current_password", "new_password", "confirm_password")
"""The form's fields in page order, which is the order the error summary lists them in."""


@router.page("/account/password", permission=Permission.SIGNED_IN)
async def password_page(request: Request, done: str = "") -> Response:
    return _form(request, {}, banner=done == "changed")


@router.page("/account/password", permission=Permission.SIGNED_IN, methods=("POST",))
def password_submit(
    request: Request,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    # A plain function, so FastAPI runs it in the thread pool: its two argon2 runs would otherwise
    # hold up every other request on the event loop.
    errors = _form_errors(current_password, new_password, confirm_password)
    if errors:
        return _form(request, errors)
    try:
        with records_of(request).new_unit_of_work() as uow:
            token = change_password(
                uow=uow,
                user_id=user_of(request).id,
                session_token=request.cookies.get(SESSION_COOKIE, ""),
                current_password=current_password,
                new_password=new_password,
            )
    except SessionEndedError as ended:
        request.state.user = request.state.csrf_token = None  # the page must not look signed in
        signed_out = render(
            request,
            "message.html",
            status_code=409,
            heading="Your password was not changed",
            paragraphs=[as_sentence(str(ended)) + "."],
            link={"href": "/sign-in", "text": "Sign in"},
        )
        signed_out.delete_cookie(SESSION_COOKIE, path="/")
        return signed_out
    except InvalidFieldError as error:
        message = "Your current password is not right" if error.field == "current_password" else None
        return _form(request, {error.field: message or as_sentence(f"the new password {error.message}")})
    except RefusedError as refusal:  # locked already (by failed sign-ins elsewhere): this session stays
        return _form(request, {"current_password": as_sentence(str(refusal))})
    done = RedirectResponse("/account/password?done=changed", status_code=303)
    set_cookie(request, done, SESSION_COOKIE, token)  # a new session: the old token is worth nothing
    return done


def _form_errors(current: str, new: str, confirm: str) -> dict[str, str]:
    """What the form itself can tell is wrong, by field; whether the current password is right is the
    service's to say."""
    found = [
        ("current_password", "Enter your current password", not current),
        (
            "new_password",
            f"Enter a new password of at least {MIN_PASSWORD_LENGTH} characters",
            len(new) < MIN_PASSWORD_LENGTH,
        ),
        (
            "confirm_password",
            "Enter the same new password again",
            len(new) >= MIN_PASSWORD_LENGTH and confirm != new,
        ),
    ]
    return {field: message for field, message, wrong in found if wrong}


def _form(request: Request, errors: dict[str, str], *, banner: bool = False) -> Response:
    return render(
        request,
        "account/password.html",
        status_code=400 if errors else 200,
        errors=[{"text": errors[field], "href": f"#{field}"} for field in FIELD_ORDER if field in errors],
        field_errors=errors,
        banner=banner,
        min_length=MIN_PASSWORD_LENGTH,
    )
