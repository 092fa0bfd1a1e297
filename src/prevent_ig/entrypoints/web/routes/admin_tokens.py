"""API tokens for integrating systems: an administrator sees them and revokes them in the browser.

Tokens are made only on the server (``prevent-ig tokens create``), by whoever runs it: a token carries
a role, and most roles read case content through the API, which an administrator may never see
(``domain/access.py``). Minting one from the browser would let an administrator's account hand itself
that access. Revoking only ever takes access away, so it is here, for when a token leaks and the
server's operator is not at hand; it takes effect on the token's next call.
"""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from prevent_ig.domain.access import Permission, Role
from prevent_ig.entrypoints.web.auth import PermissionRouter, RecordId, records_of, user_of
from prevent_ig.entrypoints.web.templating import as_sentence, render
from prevent_ig.services.api_tokens import list_tokens, revoke_token
from prevent_ig.services.errors import NotFoundError, RefusedError

router = PermissionRouter()
ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner: raises concerns, sees only those it raised",
    Role.PREVENT_LEAD: "Prevent lead: cases, requests, decisions and disclosures",
    Role.IG_ADVISER: "IG adviser",
    Role.SIRO: "SIRO",
    Role.AUDITOR: "Auditor: verifies the audit chain",
    Role.ADMINISTRATOR: "Administrator",
}


@router.page("/admin/tokens", permission=Permission.USER_ADMIN)
async def tokens_page(request: Request, revoked: int = 0) -> Response:
    with records_of(request).new_unit_of_work() as uow:
        tokens = list_tokens(uow=uow)
        now = uow.now()
    states = [(token, token.state(now)) for token in tokens]
    # Confirm only a revocation that happened: the number comes from the address, which anyone can type.
    confirmed = next((t.id for t, state in states if t.id == revoked and state == "revoked"), None)
    return render(
        request,
        "admin/tokens.html",
        tokens=states,
        role_labels={role.value: label for role, label in ROLE_LABELS.items()},
        revoked=confirmed,
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
            paragraphs=[as_sentence(str(refusal)) + "."],
            link={"href": "/admin/tokens", "text": "Back to the API tokens"},
        )
    return RedirectResponse(f"/admin/tokens?revoked={token_id}", status_code=303)
