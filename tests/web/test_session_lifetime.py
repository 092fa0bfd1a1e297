"""A session ends after a spell without activity, and in any case a fixed time after signing in, so a
browser left signed in on a shared ward computer does not stay signed in for days."""

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import WebSessionRow
from prevent_ig.domain.access import Role
from tests.fixtures_db import Db
from tests.web.conftest import CSRF, PASSWORD, add_user, make_client, sign_in


def signed_in(db: Db, username: str) -> TestClient:
    client = make_client(db)
    sign_in(client, username, add_user(db, username, Role.PREVENT_LEAD), db)
    return client


def sent_to_sign_in(client: TestClient) -> bool:
    """Sent to sign in from the start: not to the code page, as a half-signed-in session would be."""
    response = client.get("/dashboard", follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/sign-in?")


def sessions(db: Db) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(WebSessionRow)) or 0


def busy_until(db: Db, client: TestClient, minutes: int) -> None:
    """A page every 20 minutes (the last step shorter) until ``minutes`` after signing in."""
    for step in [20] * (minutes // 20) + ([minutes % 20] if minutes % 20 else []):
        db.clock.moment += timedelta(minutes=step)
        assert not sent_to_sign_in(client)


def test_a_session_left_alone_for_the_idle_timeout_ends(db: Db) -> None:
    client = signed_in(db, "lead.idle")  # the tests' app: WebSettings' defaults, 30 minutes idle
    db.clock.moment += timedelta(minutes=29)
    assert not sent_to_sign_in(client)  # activity moves the idle clock on
    db.clock.moment += timedelta(minutes=29)
    assert not sent_to_sign_in(client)
    db.clock.moment += timedelta(minutes=31)
    assert sent_to_sign_in(client)
    assert sessions(db) == 0


def test_a_busy_session_still_ends_twelve_hours_after_signing_in(db: Db) -> None:
    client = signed_in(db, "lead.busy")
    busy_until(db, client, 12 * 60 - 1)
    db.clock.moment += timedelta(minutes=2)  # 12 h 1 min, and only 2 minutes since the last page
    assert sent_to_sign_in(client)
    assert sessions(db) == 0


def test_changing_the_password_does_not_put_off_the_end_of_the_session(db: Db) -> None:
    client = signed_in(db, "lead.changing")
    busy_until(db, client, 11 * 60)
    token = CSRF.search(client.get("/account/password").text).group(1)  # type: ignore[union-attr]
    new = "four unrelated words here"
    changed = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": new,
            "confirm_password": new,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    busy_until(db, client, 59)  # 11 h 59 min after signing in
    db.clock.moment += timedelta(minutes=2)
    assert sent_to_sign_in(client)


def test_the_code_must_follow_the_password_within_ten_minutes(db: Db) -> None:
    secret = add_user(db, "lead.slow", Role.PREVENT_LEAD)
    client = make_client(db)
    token = CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    client.post("/sign-in", data={"username": "lead.slow", "password": PASSWORD, "csrf_token": token})
    db.clock.moment += timedelta(minutes=11)  # walked away from a half-finished sign-in
    token = CSRF.search(client.get("/sign-in/code").text).group(1)  # type: ignore[union-attr]
    late = client.post(
        "/sign-in/code", data={"code": pyotp.TOTP(secret).at(db.clock.moment), "csrf_token": token}
    )
    assert late.status_code == 400 and "Your sign-in has expired: start again" in late.text
    assert sessions(db) == 0
