"""API tokens in the browser: an administrator makes one (shown once), sees it listed, revokes it."""

import re

from sqlalchemy import select

from prevent_ig.adapters.records.api_token_table import ApiTokenRow
from prevent_ig.adapters.records.tables import AuditEventRow
from prevent_ig.domain.access import Role


def test_a_token_made_in_the_browser_is_shown_once_works_and_stops_working_when_revoked(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role(Role.ADMINISTRATOR, "admin.tokens")
    db = admin.db
    made = admin.post_form("/admin/tokens", {"service": "Synthetic EHR", "role": "auditor", "days": "30"})

    assert made.status_code == 200
    [token] = re.findall(r'<code id="token"[^>]*>(pig_[^<]+)</code>', made.text)
    bearer = {"Authorization": f"Bearer {token}"}
    assert admin.client.get("/api/v1/audit/verify", headers=bearer).status_code == 200
    listed = admin.client.get("/admin/tokens").text
    assert "Synthetic EHR" in listed and "Active" in listed
    assert token not in listed  # shown once, never again
    with db.uow() as uow:
        row = uow.session.scalars(select(ApiTokenRow)).one()
        assert (row.service, row.role, row.created_by) == ("Synthetic EHR", "auditor", "admin.tokens")
        assert token not in row.token_hash
        token_id = row.id
        events = [(e.actor, e.event) for e in uow.session.scalars(select(AuditEventRow))]
    assert ("admin.tokens", "admin:token:create") in events

    revoked = admin.post_form(f"/admin/tokens/{token_id}/revoke", {}, form_page="/admin/tokens")
    assert revoked.status_code == 303
    assert f"Token {token_id} is revoked" in admin.client.get(revoked.headers["location"]).text
    assert admin.client.get("/api/v1/audit/verify", headers=bearer).status_code == 401
    again = admin.post_form(f"/admin/tokens/{token_id}/revoke", {}, form_page="/admin/tokens")
    assert again.status_code == 409 and "already revoked" in again.text


def test_an_incomplete_token_form_names_each_problem_in_order_and_makes_nothing(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role(Role.ADMINISTRATOR, "admin.form")
    refused = admin.post_form("/admin/tokens", {"service": " ", "role": "wizard", "days": "0"})
    assert refused.status_code == 400
    summary = refused.text[refused.text.index("nhsuk-error-summary") :]
    order = [summary.index(f'href="#{field}"') for field in ("service", "role", "days")]
    assert order == sorted(order)
    too_long = admin.post_form("/admin/tokens", {"service": "EHR", "role": "auditor", "days": "367"})
    assert too_long.status_code == 400 and "from 1 to 366" in too_long.text
    with admin.db.uow() as uow:
        assert uow.session.scalars(select(ApiTokenRow)).all() == []
