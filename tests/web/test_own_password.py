"""Anyone signed in changes their own password: the current one is asked for again, the user's other
sessions end, wrong answers count towards the sign-in lockout, and the change is audited."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow, UserRow, WebSessionRow
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web.auth import SESSION_COOKIE
from prevent_ig.services.account_admin import account_id
from prevent_ig.services.accounts import start_sign_in
from prevent_ig.services.errors import RefusedError
from tests.fixtures_db import Db
from tests.web.conftest import CSRF, PASSWORD, add_user, make_client, sign_in

NEW_PASSWORD = "four unrelated words here"
FORM = "/account/password"


def signed_in_twice(db: Db, username: str, role: Role) -> tuple[TestClient, TestClient]:
    """One account signed in on two browsers, as on a ward computer and at home."""
    secret = add_user(db, username, role)
    clients = make_client(db), make_client(db)
    for client in clients:
        sign_in(client, username, secret, db)
    return clients


def change(client: TestClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    token = CSRF.search(client.get(FORM).text).group(1)  # type: ignore[union-attr]
    data = {
        "current_password": current,
        "new_password": new,
        "confirm_password": new if again is None else again,
    }
    return client.post(FORM, data={**data, "csrf_token": token}, follow_redirects=False)


def audit(db: Db, event: str) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.actor, AuditEventRow.entity)
            .where(AuditEventRow.event == event)
            .order_by(AuditEventRow.seq)
        )
        return [(r.actor, r.entity) for r in rows]


def password_works(db: Db, username: str, password: str) -> bool:
    with db.uow() as uow:
        try:
            start_sign_in(uow=uow, username=username, password=password)
        except RefusedError:
            return False
        return True


@pytest.mark.parametrize("role", list(Role))
def test_every_role_changes_its_password_and_every_old_session_ends(db: Db, role: Role) -> None:
    username = f"{role.value.replace('_', '.')}.changer"
    here, elsewhere = signed_in_twice(db, username, role)
    assert 'href="/account/password"' in here.get("/").text  # offered in the page header
    old_token = here.cookies[SESSION_COOKIE]

    done = change(here, PASSWORD, NEW_PASSWORD)

    assert done.status_code == 303 and done.headers["location"] == "/account/password?done=changed"
    assert "Your password is changed." in here.get(done.headers["location"]).text
    assert here.cookies[SESSION_COOKIE] != old_token  # this browser carries on, in a new session
    assert here.get("/", follow_redirects=False).status_code == 200
    assert elsewhere.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")
    stolen = make_client(db)  # someone who had copied the old cookie
    stolen.cookies.set(SESSION_COOKIE, old_token)
    assert stolen.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert not password_works(db, username, PASSWORD)
    assert password_works(db, username, NEW_PASSWORD)
    with db.uow() as uow:
        user = account_id(uow=uow, username=username)
        sessions = uow.session.scalars(select(WebSessionRow).where(WebSessionRow.user_id == user)).all()
        # The one left is this browser's, fully signed in, and the half-begun sign-in password_works made.
        assert sorted(s.second_factor_done for s in sessions) == [False, True]
    assert audit(db, "auth:password:change") == [(username, f"user:{user}")]


def test_the_form_says_what_to_put_right_and_changes_nothing(db: Db) -> None:
    here, elsewhere = signed_in_twice(db, "lead.typing", Role.PREVENT_LEAD)

    empty = change(here, "", "short")
    assert empty.status_code == 400
    summary = empty.text[empty.text.index("There is a problem") :]
    current_at = summary.index("Enter your current password")
    assert current_at < summary.index("Enter a new password of at least 12 characters")  # page order
    assert 'href="#current_password"' in summary and 'href="#new_password"' in summary
    mismatch = change(here, PASSWORD, NEW_PASSWORD, again=NEW_PASSWORD + "!")
    assert mismatch.status_code == 400 and "Enter the same new password again" in mismatch.text
    same = change(here, PASSWORD, PASSWORD)
    assert same.status_code == 400
    assert "The new password must not be the same as your current password" in same.text
    wrong = change(here, "not my password at all", NEW_PASSWORD)
    assert wrong.status_code == 400 and "Your current password is not right" in wrong.text

    assert password_works(db, "lead.typing", PASSWORD)
    assert not password_works(db, "lead.typing", NEW_PASSWORD)
    assert elsewhere.get("/", follow_redirects=False).status_code == 200
    assert audit(db, "auth:password:change") == []
    with db.uow() as uow:
        user = account_id(uow=uow, username="lead.typing")
    assert audit(db, "auth:password:fail") == [("lead.typing", f"user:{user}")]


def test_five_wrong_current_passwords_lock_the_account_and_sign_it_out_everywhere(db: Db) -> None:
    # Someone at a computer left signed in must not be able to guess the password at leisure.
    here, elsewhere = signed_in_twice(db, "clinician.away", Role.PRACTITIONER)
    for _ in range(4):
        assert change(here, "a guess at the password", NEW_PASSWORD).status_code == 400

    fifth = change(here, "a guess at the password", NEW_PASSWORD)

    assert fifth.status_code == 409 and "you are signed out" in fifth.text
    assert 'prevent_ig_session=""' in fifth.headers["set-cookie"]
    for client in (here, elsewhere):
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")
    with db.uow() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "clinician.away"))
        assert user is not None and user.locked_until is not None
        assert uow.session.scalars(select(WebSessionRow).where(WebSessionRow.user_id == user.id)).all() == []
        with pytest.raises(RefusedError, match="username or password is not right"):  # the right one
            start_sign_in(uow=uow, username="clinician.away", password=PASSWORD)
    assert len(audit(db, "auth:password:fail")) == 5


def test_sign_in_failures_and_wrong_current_passwords_count_together(db: Db) -> None:
    here, _ = signed_in_twice(db, "lead.shared.count", Role.PREVENT_LEAD)
    for _ in range(4):
        assert not password_works(db, "lead.shared.count", "someone guessing at sign-in")

    fifth = change(here, "someone guessing here", NEW_PASSWORD)

    assert fifth.status_code == 409 and "you are signed out" in fifth.text
    assert "lead.shared.count (test)" not in fifth.text  # the page no longer shows them signed in


def test_an_account_locked_elsewhere_keeps_this_session_but_cannot_change_its_password(db: Db) -> None:
    # Someone may lock an account by guessing at the sign-in page; its owner must not be thrown out.
    here, _ = signed_in_twice(db, "lead.targeted", Role.PREVENT_LEAD)
    for _ in range(5):
        assert not password_works(db, "lead.targeted", "someone guessing at sign-in")

    refused = change(here, PASSWORD, NEW_PASSWORD)

    assert refused.status_code == 400 and "Too many failed attempts" in refused.text
    assert 'href="#current_password"' in refused.text
    assert "set-cookie" not in refused.headers
    assert here.get("/", follow_redirects=False).status_code == 200
    assert audit(db, "auth:password:change") == []
    with db.uow() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "lead.targeted"))
        assert user is not None
        user.locked_until = None  # the lockout over, the old password is still the one
        uow.commit()
    assert password_works(db, "lead.targeted", PASSWORD)
