"""Every answer carries the security headers and no-store: also the refusals made before any route
runs, and the page for an error no handler expected (which Starlette sends from outside every
middleware)."""

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from prevent_ig.entrypoints.web.app import create_app
from prevent_ig.entrypoints.web.security import SECURITY_HEADERS
from prevent_ig.settings import WebSettings
from tests.fixtures_db import Db
from tests.web.conftest import make_client


def assert_protected(headers: object) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name  # type: ignore[index]
    assert headers["cache-control"] == "no-store"  # type: ignore[index]


def test_strict_transport_security_is_sent_for_a_year_with_subdomains(db: Db) -> None:
    page = make_client(db).get("/sign-in")
    assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert_protected(page.headers)


@pytest.mark.parametrize("path", ["/sign-in", "/api/v1/assess"])
def test_a_body_refused_before_any_route_still_carries_the_headers(db: Db, path: str) -> None:
    client = make_client(db)
    refused = client.post(path, content=b'{"a": "\\u0000"}', headers={"content-type": "application/json"})
    assert refused.status_code == 400 and "NUL" in refused.text
    assert_protected(refused.headers)


def test_an_unexpected_error_gets_the_service_page_with_the_headers(db: Db) -> None:
    app = create_app(records=db.records(), web=WebSettings(demo_mode=True))

    async def broken(_request: Request) -> None:
        raise ZeroDivisionError("a fault of ours")

    app.add_api_route("/broken-for-this-test", broken)
    client = TestClient(app, raise_server_exceptions=False)

    page = client.get("/broken-for-this-test")

    assert page.status_code == 500
    assert "Sorry, something went wrong" in page.text and "ZeroDivisionError" not in page.text
    assert_protected(page.headers)
