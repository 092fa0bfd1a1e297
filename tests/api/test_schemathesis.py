"""Property-based API testing from our own OpenAPI description (schemathesis): whatever valid or
invalid request it generates, the app answers without a server error and within its described schema.
Runs on SQLite and, when configured, PostgreSQL.

One check is left out: "schema-valid data must be accepted". JSON Schema cannot express the contract's
rules that tie fields together (consent.given_by is required exactly when consent is given, and so on),
so such inputs are rightly refused with 422 naming the field; every other check runs."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from prevent_ig.domain.access import Role
from prevent_ig.entrypoints.web.app import create_app
from prevent_ig.services.api_tokens import create_token
from prevent_ig.settings import WebSettings
from tests.builders import input_data
from tests.fixtures_db import Db

EXAMPLES = int(os.environ.get("PREVENT_IG_SCHEMATHESIS_EXAMPLES", "15"))


@pytest.fixture
def lead_token(db: Db) -> str:
    with db.uow() as uow:
        return create_token(uow=uow, actor="test", service="schemathesis", role=Role.PREVENT_LEAD, days=30)[1]


@pytest.fixture
def api_schema(db: Db, lead_token: str) -> schemathesis.BaseSchema:
    app = create_app(records=db.records(), web=WebSettings(demo_mode=True))
    loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    loaded.config.headers = {"Authorization": f"Bearer {lead_token}"}
    return loaded


def test_api_never_errors_and_keeps_to_its_schema(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def holds(case: schemathesis.Case) -> None:
            if case.path == "/assess" and case.body is None:
                case.body = input_data()
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        holds()
