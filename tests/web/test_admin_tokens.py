"""API tokens in the browser: an administrator sees them and revokes them, but cannot make one.

A token carries a role, and most roles read case content through the API, which an administrator may
never see; tokens are made on the server (``prevent-ig tokens create``).
"""

import hashlib
import re
from datetime import UTC, datetime

from sqlalchemy import select

from prevent_ig.adapters.records.api_token_table import ApiTokenRow
from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web.templating import day_in_england
from prevent_ig.services.api_tokens import create_token


def test_an_administrator_sees_each_token_never_the_token_itself_and_revokes_it_at_once(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role(Role.ADMINISTRATOR, "admin.tokens")
    db = admin.db
    with db.uow() as uow:
        token_id, token = create_token(
            uow=uow, actor="cli", service="<b>Synthetic EHR</b>", role=Role.AUDITOR, days=30
        )
    bearer = {"Authorization": f"Bearer {token}"}
    assert admin.client.get("/api/v1/audit/verify", headers=bearer).status_code == 200

    listed = admin.client.get("/admin/tokens")
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    assert f"{token_id}: &lt;b&gt;Synthetic EHR&lt;/b&gt;" in listed.text  # the name, as text
    assert re.search(rf'id="state-{token_id}">Active', listed.text)
    assert (
        '<span class="nhsuk-u-visually-hidden"> token 1 (&lt;b&gt;Synthetic EHR&lt;/b&gt;)</span>'
        in listed.text
    )
    assert token not in listed.text and hashlib.sha256(token.encode()).hexdigest() not in listed.text

    revoked = admin.post_form(f"/admin/tokens/{token_id}/revoke", {}, form_page="/admin/tokens")
    assert revoked.status_code == 303
    page = admin.client.get(revoked.headers["location"]).text
    assert f"Token {token_id} is revoked" in page and re.search(rf'id="state-{token_id}">Revoked', page)
    assert admin.client.get("/api/v1/audit/verify", headers=bearer).status_code == 401
    with db.uow() as uow:
        events = [(e.actor, e.event, e.entity) for e in uow.session.scalars(select(AuditEventRow))]
    assert ("admin.tokens", "admin:token:revoke", f"token:{token_id}") in events
    session_form = "/registers/contacts/new"  # any page with a form gives the session's CSRF token
    again = admin.post_form(f"/admin/tokens/{token_id}/revoke", {}, form_page=session_form)
    assert again.status_code == 409 and "already revoked" in again.text
    missing = admin.post_form("/admin/tokens/999/revoke", {}, form_page=session_form)
    assert missing.status_code == 404


def test_an_administrator_cannot_make_a_token_in_the_browser(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role(Role.ADMINISTRATOR, "admin.mint")
    with admin.db.uow() as uow:  # one token, so that the page carries a form (and its CSRF token)
        create_token(uow=uow, actor="cli", service="EHR", role=Role.AUDITOR, days=30)
    page = admin.client.get("/admin/tokens").text
    assert "prevent-ig tokens create" in page and 'action="/admin/tokens"' not in page
    made = admin.post_form(
        "/admin/tokens", {"service": "EHR", "role": "prevent_lead", "days": "30"}, form_page="/admin/tokens"
    )
    assert made.status_code == 405
    with admin.db.uow() as uow:
        assert [row.service for row in uow.session.scalars(select(ApiTokenRow))] == ["EHR"]


def test_the_revoked_banner_shows_only_for_a_token_that_is_revoked(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role(Role.ADMINISTRATOR, "admin.banner")
    with admin.db.uow() as uow:
        token_id, _ = create_token(uow=uow, actor="cli", service="EHR", role=Role.AUDITOR, days=30)
    for typed in (token_id, 4242, -3):
        assert "is revoked" not in admin.client.get(f"/admin/tokens?revoked={typed}").text


def test_a_stored_moment_is_shown_as_the_day_it_was_in_england() -> None:
    assert day_in_england(datetime(2026, 6, 30, 23, 30)) == "1 Jul 2026"  # naive, as the database keeps it
    assert day_in_england(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "31 Dec 2026"
