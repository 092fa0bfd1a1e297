"""API tokens for integrating systems, managed by an administrator in the browser as on the CLI.

A token is shown once, on the page that answers its creation (every page is sent ``no-store``), and
only its SHA-256 is kept. Revoking takes effect on the token's next call.
"""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission, Role
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.templating import render
from prevent_ig.services.api_tokens import MAX_DAYS, create_token, list_tokens, revoke_token
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError

router = PermissionRouter()
DEFAULT_DAYS = 90
ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner: raises concerns, sees only those it raised",
    Role.PREVENT_LEAD: "Prevent lead: cases, requests, decisions and disclosures",
    Role.IG_ADVISER: "IG adviser",
    Role.SIRO: "SIRO",
    Role.AUDITOR: "Auditor: verifies the audit chain",
    Role.ADMINISTRATOR: "Administrator",
}
FORM_ORDER = ("service", "role", "days")
Errors = dict[str, dict[str, str]]


@router.page("/admin/tokens", permission=Permission.USER_ADMIN)
async def tokens_page(request: Request, revoked: int = 0) -> Response:
    return _page(request, {"service": "", "role": "", "days": str(DEFAULT_DAYS)}, {}, revoked=revoked)


@router.page("/admin/tokens", permission=Permission.USER_ADMIN, methods=("POST",))
async def create(request: Request) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FORM_ORDER}
    errors: Errors = {}
    if not values["service"]:
        errors["service"] = {"text": "Enter the system that will use the token", "href": "#service"}
    if values["role"] not in set(Role):
        errors["role"] = {"text": "Choose the role whose permissions the token carries", "href": "#role"}
    days = int(values["days"]) if values["days"].isdigit() else 0
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = {"text": f"Enter a number of days from 1 to {MAX_DAYS}", "href": "#days"}
    if errors:
        return _page(request, values, errors)
    try:
        with records_of(request).new_unit_of_work() as uow:
            token_id, token = create_token(
                uow=uow,
                actor=user_of(request).username,
                service=values["service"],
                role=Role(values["role"]),
                days=days,
            )
    except InvalidFieldError as error:
        field = error.field if error.field in FORM_ORDER else "service"
        return _page(request, values, {field: {"text": error.message.capitalize(), "href": f"#{field}"}})
    return render(
        request,
        "admin/token_created.html",
        token_id=token_id,
        token=token,
        service=values["service"],
        role=ROLE_LABELS[Role(values["role"])],
        days=days,
    )


@router.page("/admin/tokens/{token_id}/revoke", permission=Permission.USER_ADMIN, methods=("POST",))
async def revoke(request: Request, token_id: RecordId) -> Response:
    try:
        with records_of(request).new_unit_of_work() as uow:
            revoke_token(uow=uow, actor=user_of(request).username, token_id=token_id)
    except (NotFoundError, RefusedError) as refusal:
        return render(
            request,
            "message.html",
            status_code=404 if isinstance(refusal, NotFoundError) else 409,
            heading="The token was not revoked",
            paragraphs=[str(refusal).capitalize() + "."],
            link={"href": "/admin/tokens", "text": "Back to the API tokens"},
        )
    return RedirectResponse(f"/admin/tokens?revoked={token_id}", status_code=303)


def _page(request: Request, values: dict[str, str], errors: Errors, *, revoked: int = 0) -> Response:
    records = records_of(request)
    with records.new_unit_of_work() as uow:
        tokens = list_tokens(uow=uow)
        now = uow.now()
    return render(
        request,
        "admin/tokens.html",
        status_code=400 if errors else 200,
        tokens=[(token, token.state(now)) for token in tokens],
        values=values,
        errors=[errors[name] for name in FORM_ORDER if name in errors],
        field_errors=errors,
        roles=[(role.value, label) for role, label in ROLE_LABELS.items()],
        role_labels={role.value: label for role, label in ROLE_LABELS.items()},
        revoked=revoked,
        max_days=MAX_DAYS,
    )
