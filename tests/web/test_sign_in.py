"""Signing in needs a password and a one-time code, for every role; sessions and cookies are strict."""

import pyotp
import pytest

from prevent_ig.domain.access import Role
from tests.fixtures_db import Db
from tests.web.conftest import CSRF, PASSWORD, add_user, make_client


def test_password_then_code_signs_in_and_sets_a_strict_cookie(db: Db) -> None:
    secret = add_user(db, "lead.one", Role.PREVENT_LEAD)
    client = make_client(db)
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in?next=/"
    token = CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    step1 = client.post(
        "/sign-in",
        data={"username": "lead.one", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = step1.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    # Half signed in: every page still sends you to the code page.
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/sign-in/code")
    token = CSRF.search(client.get("/sign-in/code").text).group(1)  # type: ignore[union-attr]
    wrong = client.post("/sign-in/code", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 400 and "security code is not right" in wrong.text
    ok = client.post(
        "/sign-in/code",
        data={"code": pyotp.TOTP(secret).at(db.clock.moment), "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    home = client.get("/")
    assert home.status_code == 200 and "lead.one (test)" in home.text


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(db: Db) -> None:
    add_user(db, "lead.two", Role.PREVENT_LEAD)
    client = make_client(db)
    token = CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    for username in ("lead.two", "nobody.here"):
        page = client.post(
            "/sign-in", data={"username": username, "password": "wrong password!!", "csrf_token": token}
        )
        assert page.status_code == 400
        assert "username or password is not right" in page.text


def test_five_failures_lock_the_account(db: Db) -> None:
    add_user(db, "lead.three", Role.PREVENT_LEAD)
    client = make_client(db)
    token = CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    for _ in range(5):
        client.post(
            "/sign-in", data={"username": "lead.three", "password": "wrong password!!", "csrf_token": token}
        )
    locked = client.post(
        "/sign-in", data={"username": "lead.three", "password": PASSWORD, "csrf_token": token}
    )
    assert "too many failed attempts" in locked.text.lower()


def test_sign_in_form_without_its_token_is_refused(db: Db) -> None:
    add_user(db, "lead.four", Role.PREVENT_LEAD)
    client = make_client(db)
    client.get("/sign-in")
    page = client.post(
        "/sign-in", data={"username": "lead.four", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert page.status_code == 400
    assert "session expired" in page.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_next_never_redirects_off_site(db: Db, target: str) -> None:
    secret = add_user(db, "lead.five", Role.PREVENT_LEAD)
    client = make_client(db)
    token = CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    client.post(
        "/sign-in", data={"username": "lead.five", "password": PASSWORD, "csrf_token": token, "next": target}
    )
    token = CSRF.search(client.get("/sign-in/code").text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/sign-in/code",
        data={"code": pyotp.TOTP(secret).at(db.clock.moment), "csrf_token": token, "next": target},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/"


def test_security_headers_on_every_page(db: Db) -> None:
    client = make_client(db)
    page = client.get("/sign-in")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script anywhere


def test_sign_out_ends_the_session_on_the_server(as_role) -> None:  # type: ignore[no-untyped-def]
    browser = as_role(Role.PREVENT_LEAD)
    cookie = browser.client.cookies.get("prevent_ig_session")
    other = make_client(browser.db)
    other.cookies.set("prevent_ig_session", cookie, domain="testserver.local")
    assert other.get("/", follow_redirects=False).status_code == 200  # the stolen cookie works...
    done = browser.post_form("/sign-out", {}, form_page="/sign-out")
    assert done.status_code == 303
    assert other.get("/", follow_redirects=False).status_code == 303  # ...until the user signs out
