"""API fixtures: the full app (web with the API mounted) over the records `db` fixture, and tokens."""

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from prevent_ig.domain.access import Role
from prevent_ig.services.api_tokens import create_token
from tests.fixtures_db import Db
from tests.web.conftest import as_role, make_client  # noqa: F401 - as_role is a fixture

Tokens = Callable[[Role], dict[str, str]]


@pytest.fixture
def api(db: Db) -> Iterator[TestClient]:
    client = make_client(db)
    yield client
    client.close()


@pytest.fixture
def auth(db: Db) -> Tokens:
    """Authorization headers for a new token of the given role."""

    def headers(role: Role) -> dict[str, str]:
        with db.uow() as uow:
            _, token = create_token(uow=uow, actor="test", service=f"test {role.value}", role=role, days=30)
        return {"Authorization": f"Bearer {token}"}

    return headers
