"""Web fixtures: the real app over a real database (the records `db` fixture), signed in per role."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from prevent_ig.adapters.records.tables import UserRow
from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web.app import create_app
from prevent_ig.services.accounts import create_user
from prevent_ig.settings import WebSettings
from tests.fixtures_db import Db

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    """A test client that signs in as a role and posts forms with their CSRF token."""

    client: TestClient
    db: Db

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        match = CSRF.search(page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict[str, str | list[str]], *, form_page: str | None = None):  # type: ignore[no-untyped-def]
        token = self.csrf(form_page or path)
        return self.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def make_client(db: Db) -> TestClient:
    app = create_app(records=db.records(), web=WebSettings(demo_mode=True, secure_cookies=True))
    return TestClient(app, base_url="https://testserver")


def add_user(db: Db, username: str, role: Role) -> str:
    with db.uow() as uow:
        return create_user(
            uow=uow,
            actor="test",
            username=username,
            display_name=f"{username} (test)",
            role=role,
            password=PASSWORD,
        ).totp_secret


def wait_for_a_fresh_code(db: Db, username: str, secret: str) -> None:
    """As a person signing in again must: a code signs in once, so when this account last signed in
    with the code now showing, move the test clock on to the next code's 30 seconds."""
    with db.uow() as uow:
        last = uow.session.scalar(select(UserRow.last_code_step).where(UserRow.username == username))
    totp = pyotp.TOTP(secret)
    while last is not None and totp.timecode(db.clock.moment) <= last:
        db.clock.moment += timedelta(seconds=totp.interval)


def sign_in(client: TestClient, username: str, secret: str, db: Db) -> None:
    page = client.get("/sign-in")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    step1 = client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert step1.status_code == 303, step1.text
    page = client.get("/sign-in/code")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    wait_for_a_fresh_code(db, username, secret)
    step2 = client.post(
        "/sign-in/code",
        data={"code": pyotp.TOTP(secret).at(db.clock.moment), "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert step2.status_code == 303, step2.text


@pytest.fixture
def as_role(db: Db) -> Iterator[object]:
    clients: list[TestClient] = []

    def signed_in(role: Role, username: str | None = None) -> Browser:
        name = username or f"{role.value.replace('_', '.')}.user"
        secret = add_user(db, name, role)
        client = make_client(db)
        clients.append(client)
        sign_in(client, name, secret, db)
        return Browser(client=client, db=db)

    yield signed_in
    for c in clients:
        c.close()
