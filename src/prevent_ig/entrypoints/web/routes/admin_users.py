"""Accounts: an administrator sees who can sign in and takes access away from a leaver at once.

Accounts are made on the server (``prevent-ig users create``), which prints the one-time-code secret
once; the browser never shows a secret. Disabling ends the account's sessions there and then; enabling
also lifts a lockout after failed sign-ins (``services.account_admin``).
"""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.routes.admin_tokens import ROLE_LABELS
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.account_admin import disable_account, enable_account, list_accounts
from prevent_ig.services.errors import NotFoundError, RefusedError

router = PermissionRouter()
DONE = {
    "disabled": "is disabled: it cannot sign in, and its sessions have ended.",
    "enabled": "can sign in again.",
}


@router.page("/admin/users", permission=Permission.USER_ADMIN)
async def accounts_page(request: Request, done: str = "", user: int = 0) -> Response:
    with records_of(request).new_unit_of_work() as uow:
        accounts = list_accounts(uow=uow, actor=user_of(request).username)
        now = uow.now()
    states = [(account, account.state(now)) for account in accounts]
    # Confirm only what happened: the address is typed by anyone, so the banner names the account only
    # when its state agrees.
    expected = {"disabled": {"disabled"}, "enabled": {"active"}}.get(done, set())
    changed = next((a for a, state in states if a.id == user and state in expected), None)
    return render(
        request,
        "admin/users.html",
        accounts=states,
        role_labels={role.value: label for role, label in ROLE_LABELS.items()},
        banner=f"{changed.username} {DONE[done]}" if changed is not None else None,
        me=user_of(request).username,
    )


@router.page("/admin/users/{user_id}/disable", permission=Permission.USER_ADMIN, methods=("POST",))
async def disable(request: Request, user_id: RecordId) -> Response:
    return _change(request, user_id, disable=True)


@router.page("/admin/users/{user_id}/enable", permission=Permission.USER_ADMIN, methods=("POST",))
async def enable(request: Request, user_id: RecordId) -> Response:
    return _change(request, user_id, disable=False)


def _change(request: Request, user_id: int, *, disable: bool) -> Response:
    change = disable_account if disable else enable_account
    try:
        with records_of(request).new_unit_of_work() as uow:
            change(uow=uow, actor=user_of(request).username, user_id=user_id)
    except (NotFoundError, RefusedError) as refusal:
        return render(
            request,
            "message.html",
            status_code=404 if isinstance(refusal, NotFoundError) else 409,
            heading=f"The account was not {'disabled' if disable else 'enabled'}",
            paragraphs=[as_sentence(str(refusal)) + "."],
            link={"href": "/admin/users", "text": "Back to the accounts"},
        )
    done = "disabled" if disable else "enabled"
    return RedirectResponse(f"/admin/users?done={done}&user={user_id}", status_code=303)
