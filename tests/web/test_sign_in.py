"""Signing in needs a password and a one-time code, for every role; sessions and cookies are strict."""

import inspect
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow, UserRow
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web.auth import page_routes
from tests.fixtures_db import Db
from tests.web.conftest import CSRF, PASSWORD, add_user, make_client


def audit(db: Db, prefix: str) -> list[tuple[str, str | None]]:
    with db.uow() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.event, AuditEventRow.entity)
            .where(AuditEventRow.event.startswith(prefix))
            .order_by(AuditEventRow.seq)
        ).all()
    return [(event, entity) for event, entity in rows]


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


def _password_step(client: TestClient, username: str, password: str) -> Response:
    token = CSRF.search(client.get("/sign-in").text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _code_step(client: TestClient, code: str) -> Response:
    token = CSRF.search(client.get("/sign-in/code").text).group(1)  # type: ignore[union-attr]
    return client.post("/sign-in/code", data={"code": code, "csrf_token": token}, follow_redirects=False)


def _refusal(page: Response) -> str:
    """The error summary's text, which is all that may differ between two refusals."""
    summary = page.text[page.text.index("There is a problem") :]
    return summary[: summary.index("</ul>")]


def test_five_failures_lock_the_account_without_telling_a_guesser_it_exists(db: Db) -> None:
    add_user(db, "lead.three", Role.PREVENT_LEAD)
    client = make_client(db)
    unknown = _password_step(client, "nobody.here", "wrong password!!")
    for _ in range(5):
        wrong = _password_step(client, "lead.three", "wrong password!!")
        assert wrong.status_code == 400
        assert _refusal(wrong) == _refusal(unknown)  # the same words as for no such account

    locked = _password_step(client, "lead.three", PASSWORD)

    assert locked.status_code == 400 and "prevent_ig_session" not in locked.headers.get("set-cookie", "")
    assert _refusal(locked) == _refusal(unknown)  # the right password, refused in the same words
    assert "locked for 15 minutes" in _refusal(locked)  # which say that accounts lock
    assert [e for e, _ in audit(db, "auth:signin:")] == ["auth:signin:fail"] * 5 + ["auth:signin:locked"]
    db.clock.moment += timedelta(minutes=15)
    assert _password_step(client, "lead.three", PASSWORD).status_code == 303  # the lock ends


def test_half_sign_ins_cannot_keep_guessing_codes_once_the_account_locks(db: Db) -> None:
    # Knowing the password, one could open several half sign-ins and guess five codes on each.
    secret = add_user(db, "lead.guessed", Role.PREVENT_LEAD)
    first, second, third = make_client(db), make_client(db), make_client(db)
    for client in (first, second, third):
        assert _password_step(client, "lead.guessed", PASSWORD).status_code == 303
    right = pyotp.TOTP(secret).at(db.clock.moment)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert _code_step(first, wrong).status_code == 400

    for client in (second, third):  # the lock ended every half sign-in of the account
        late = _code_step(client, right)
        assert late.status_code == 400 and "sign-in has expired" in late.text
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert _password_step(first, "lead.guessed", PASSWORD).status_code == 400


def test_the_code_step_refuses_while_the_account_is_locked(db: Db) -> None:
    # A half sign-in begun before the account was locked (from anywhere) cannot be finished during it.
    secret = add_user(db, "lead.begun", Role.PREVENT_LEAD)
    client = make_client(db)
    assert _password_step(client, "lead.begun", PASSWORD).status_code == 303
    with db.uow() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "lead.begun"))
        assert user is not None
        user.locked_until = (db.clock.moment + timedelta(minutes=15)).replace(tzinfo=None)
        user_id = user.id
        uow.commit()

    refused = _code_step(client, pyotp.TOTP(secret).at(db.clock.moment))

    assert refused.status_code == 400 and "too many failed attempts" in refused.text.lower()
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert audit(db, "auth:signin:locked") == [("auth:signin:locked", f"user:{user_id}")]


def test_the_code_step_refuses_a_disabled_account_and_audits_it_as_disabled(db: Db) -> None:
    # A half sign-in of an account disabled by other means than the admin page (which ends sessions).
    secret = add_user(db, "lead.gone", Role.PREVENT_LEAD)
    client = make_client(db)
    assert _password_step(client, "lead.gone", PASSWORD).status_code == 303
    with db.uow() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "lead.gone"))
        assert user is not None
        user.active = False
        user_id = user.id
        uow.commit()

    refused = _code_step(client, pyotp.TOTP(secret).at(db.clock.moment))

    assert refused.status_code == 400 and "sign-in has expired" in refused.text
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert audit(db, "auth:signin:") == [("auth:signin:disabled", f"user:{user_id}")]


def test_a_code_signs_in_once(db: Db) -> None:
    secret = add_user(db, "lead.once", Role.PREVENT_LEAD)
    first, second = make_client(db), make_client(db)
    code = pyotp.TOTP(secret).at(db.clock.moment)
    for client in (first, second):
        assert _password_step(client, "lead.once", PASSWORD).status_code == 303
    assert _code_step(first, code).status_code == 303

    again = _code_step(second, code)  # seen over a shoulder, or typed twice

    assert again.status_code == 400 and "already been used: wait for the next one" in again.text
    assert second.get("/", follow_redirects=False).headers["location"].startswith("/sign-in/code")
    earlier = pyotp.TOTP(secret).at(db.clock.moment - timedelta(seconds=30))
    assert "already been used" in _code_step(second, earlier).text  # a step before the one used
    db.clock.moment += timedelta(seconds=30)
    assert _code_step(second, pyotp.TOTP(secret).at(db.clock.moment)).status_code == 303


def test_the_code_step_gives_the_browser_a_new_session_token(db: Db) -> None:
    secret = add_user(db, "lead.fixed", Role.PREVENT_LEAD)
    client = make_client(db)
    assert _password_step(client, "lead.fixed", PASSWORD).status_code == 303
    half = client.cookies["prevent_ig_session"]

    assert _code_step(client, pyotp.TOTP(secret).at(db.clock.moment)).status_code == 303

    assert client.cookies["prevent_ig_session"] != half
    assert client.get("/", follow_redirects=False).status_code == 200
    planted = make_client(db)  # someone who had set or seen the token given after the password alone
    planted.cookies.set("prevent_ig_session", half)
    assert planted.get("/", follow_redirects=False).headers["location"].startswith("/sign-in")


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


@pytest.mark.parametrize(
    ("path", "method"), [("/sign-in", "POST"), ("/sign-in/code", "POST"), ("/account/password", "POST")]
)
def test_routes_that_check_a_password_or_code_run_in_the_thread_pool(db: Db, path: str, method: str) -> None:
    # An argon2 check takes tens of milliseconds of CPU; on the event loop it held up every request
    # while anyone posted passwords (a page took 14 s under 10 such clients).
    routes = page_routes(list(make_client(db).app.routes))  # type: ignore[attr-defined]
    (endpoint,) = [route.endpoint for route in routes if route.path == path and method in route.methods]
    assert not inspect.iscoroutinefunction(endpoint)
