"""Accounts: an administrator sees who can sign in, disables a leaver's account at once (their open
session stops working), lets a locked-out or disabled account back in, and cannot lock everyone out."""

import re

import pytest
from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow, UserRow, WebSessionRow
from prevent_ig.domain.access import Role
from prevent_ig.services.account_admin import account_id, disable_account, enable_account
from prevent_ig.services.accounts import create_user, start_sign_in
from prevent_ig.services.errors import InvalidFieldError, RefusedError
from tests.fixtures_db import Db
from tests.web.conftest import PASSWORD, Browser, add_user


def events(db: Db, event: str) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.actor, AuditEventRow.entity).where(AuditEventRow.event == event)
        )
        return [(r.actor, r.entity) for r in rows]


def user_id(db: Db, username: str) -> int:
    with db.uow() as uow:
        return account_id(uow=uow, username=username)


def state_cell(page: str, account: int) -> str:
    found = re.search(rf'id="state-{account}">(.*?)</td>', page, flags=re.S)
    assert found, page[:2000]
    return found.group(1)


def test_a_leavers_account_is_disabled_at_once_and_their_open_session_stops_working(as_role) -> None:  # type: ignore[no-untyped-def]
    admin: Browser = as_role(Role.ADMINISTRATOR, "admin.one")
    leaver: Browser = as_role(Role.PREVENT_LEAD, "lead.leaving")
    db = admin.db
    assert leaver.client.get("/dashboard").status_code == 200
    leaver_id = user_id(db, "lead.leaving")

    page = admin.client.get("/admin/users")
    assert page.status_code == 200
    assert "lead.leaving" in page.text and "Can sign in" in state_cell(page.text, leaver_id)
    assert f'action="/admin/users/{user_id(db, "admin.one")}/disable"' not in page.text  # not oneself
    assert events(db, "admin:user:list") == [("admin.one", "users")]

    done = admin.post_form(f"/admin/users/{leaver_id}/disable", {}, form_page="/admin/users")

    assert done.status_code == 303
    shown = admin.client.get(done.headers["location"])
    assert "lead.leaving is disabled: it cannot sign in, and its sessions have ended." in shown.text
    assert "Disabled" in state_cell(shown.text, leaver_id)
    assert leaver.client.get("/dashboard", follow_redirects=False).status_code == 303  # to sign in
    with db.uow() as uow:
        assert (
            uow.session.scalars(select(WebSessionRow).where(WebSessionRow.user_id == leaver_id)).all() == []
        )
        with pytest.raises(RefusedError, match="username or password is not right"):
            start_sign_in(uow=uow, username="lead.leaving", password=PASSWORD)
    assert events(db, "admin:user:disable") == [("admin.one", f"user:{leaver_id}")]
    again = admin.post_form(f"/admin/users/{leaver_id}/disable", {}, form_page="/admin/users")
    assert again.status_code == 409 and "is already disabled" in again.text
    # The banner comes from the address, so it names an account only when its state agrees.
    assert "can sign in again" not in admin.client.get(f"/admin/users?done=enabled&user={leaver_id}").text


def test_a_locked_out_or_disabled_account_is_let_back_in(as_role) -> None:  # type: ignore[no-untyped-def]
    admin: Browser = as_role(Role.ADMINISTRATOR, "admin.two")
    db = admin.db
    add_user(db, "clinician.typo", Role.PRACTITIONER)
    for _ in range(5):
        with db.uow() as uow, pytest.raises(RefusedError):
            start_sign_in(uow=uow, username="clinician.typo", password="not the password")
    locked = user_id(db, "clinician.typo")
    cell = state_cell(admin.client.get("/admin/users").text, locked)
    assert "Locked after failed sign-ins" in cell
    # A lockout may be someone guessing at a leaver's password: it can be disabled as it stands.
    assert (
        f'action="/admin/users/{locked}/disable"' in cell and f'action="/admin/users/{locked}/enable"' in cell
    )

    done = admin.post_form(f"/admin/users/{locked}/enable", {}, form_page="/admin/users")

    assert done.status_code == 303
    assert "clinician.typo can sign in again." in admin.client.get(done.headers["location"]).text
    with db.uow() as uow:
        assert start_sign_in(uow=uow, username="clinician.typo", password=PASSWORD)
    assert events(db, "admin:user:enable") == [("admin.two", f"user:{locked}")]
    with db.uow() as uow:
        disable_account(uow=uow, actor="admin.two", user_id=locked)
    admin.post_form(f"/admin/users/{locked}/enable", {}, form_page="/admin/users")
    with db.uow() as uow:
        row = uow.session.get(UserRow, locked)
        assert row is not None and row.active
    refused = admin.post_form(f"/admin/users/{locked}/enable", {}, form_page="/admin/users")
    assert refused.status_code == 409 and "can already sign in" in refused.text
    assert admin.post_form("/admin/users/999/enable", {}, form_page="/admin/users").status_code == 404


def test_no_one_can_lock_every_administrator_out(db: Db) -> None:
    add_user(db, "admin.a", Role.ADMINISTRATOR)
    add_user(db, "admin.b", Role.ADMINISTRATOR)
    a, b = user_id(db, "admin.a"), user_id(db, "admin.b")
    with db.uow() as uow, pytest.raises(RefusedError, match="your own account"):
        disable_account(uow=uow, actor="admin.a", user_id=a)
    with db.uow() as uow:
        disable_account(uow=uow, actor="admin.a", user_id=b)
    with db.uow() as uow, pytest.raises(RefusedError, match="last active administrator"):
        disable_account(uow=uow, actor="cli", user_id=a)
    with db.uow() as uow:
        enable_account(uow=uow, actor="admin.a", user_id=b)
        disable_account(uow=uow, actor="admin.b", user_id=a)
    with db.uow() as uow:
        active = uow.session.scalars(select(UserRow.username).where(UserRow.active)).all()
    assert active == ["admin.b"]


@pytest.mark.parametrize(
    ("username", "display_name", "field"),
    [
        ("Admin", "Synthetic Admin", "username"),  # beside "admin", the same person in every trail
        ("\u0430dmin", "Synthetic Admin", "username"),  # a Cyrillic а
        ("admin.", "Synthetic Admin", "username"),
        ("siro.blank", "   ", "display_name"),  # the name a SIRO signs agreements with
    ],
)
def test_an_account_name_that_could_pass_for_another_or_sign_as_no_one_is_refused(
    db: Db, username: str, display_name: str, field: str
) -> None:
    with db.uow() as uow, pytest.raises(InvalidFieldError) as caught:
        create_user(
            uow=uow,
            actor="test",
            username=username,
            display_name=display_name,
            role=Role.SIRO,
            password=PASSWORD,
        )
    assert caught.value.field == field
    with db.uow() as uow:
        assert uow.session.scalars(select(UserRow.username)).all() == []
