"""The access policy in code is the one written out in tests/access-policy.yaml, and it keeps to the
principles that file states.

The route matrices (tests/web/test_access_control.py, tests/api/test_api.py) prove that each route
refuses every role without its declared permission; they read the permissions from the code, so they
cannot notice a permission granted to the wrong role or a route declaring a wider permission than it
should. This file can: the expected policy is typed out apart from the code, and the principles are
checked on it whatever it says.
"""

from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import APIRoute

from prevent_ig.domain.access import ROLE_PERMISSIONS, Permission, Role
from prevent_ig.entrypoints.api.app import create_api
from prevent_ig.entrypoints.api.auth import PERMISSION_KEY as API_PERMISSION_KEY
from prevent_ig.entrypoints.web.auth import PERMISSION_KEY, page_routes
from tests.fixtures_db import Db
from tests.web.conftest import make_client

POLICY: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "access-policy.yaml").read_text(encoding="utf-8")
)
WRITES = {
    Permission.CONCERN_RAISE,
    Permission.CASE_MANAGE,
    Permission.ASSESSMENT_RUN,
    Permission.REQUEST_MANAGE,
    Permission.ADVICE_GIVE,
    Permission.REGISTER_EDIT,
    Permission.DSA_SIGN,
    Permission.USER_ADMIN,
}
# "Writes" are changes to the organisation's records: cases, registers, agreements, other people's
# accounts. What only a signed-in person's own sign-in allows (signing out, changing their own password)
# changes no record, so SIGNED_IN is classed with the reads.
READS_ONLY = {
    Permission.PUBLIC,
    Permission.SIGNED_IN,
    Permission.CASE_VIEW_OWN,
    Permission.CASE_VIEW_ALL,
    Permission.DASHBOARD_VIEW,
    Permission.REGISTER_VIEW,
    Permission.CALDICOTT_LOG_VIEW,
    Permission.AUDIT_VIEW,
    Permission.OVERSIGHT_VIEW,
}
CASE_CONTENT = {
    Permission.CONCERN_RAISE,
    Permission.CASE_VIEW_OWN,
    Permission.CASE_VIEW_ALL,
    Permission.CASE_MANAGE,
    Permission.ASSESSMENT_RUN,
    Permission.REQUEST_MANAGE,
    Permission.DASHBOARD_VIEW,
    Permission.CALDICOTT_LOG_VIEW,
    Permission.ADVICE_GIVE,
    Permission.AUDIT_VIEW,
    Permission.OVERSIGHT_VIEW,
}
"""What shows or makes a case, its subject, its decisions or free text about it, or names cases (the
audit trail and the oversight report do)."""
NO_CASE_CONTENT = {
    Permission.PUBLIC,
    Permission.SIGNED_IN,
    Permission.REGISTER_VIEW,
    Permission.REGISTER_EDIT,
    Permission.DSA_SIGN,
    Permission.USER_ADMIN,
}


def test_every_permission_is_classed_once_so_a_new_one_cannot_slip_past_the_principles() -> None:
    assert set(Permission) == WRITES | READS_ONLY and not WRITES & READS_ONLY
    assert set(Permission) == CASE_CONTENT | NO_CASE_CONTENT and not CASE_CONTENT & NO_CASE_CONTENT


def declared(routes: list[APIRoute], key: str) -> dict[str, str]:
    return {
        f"{method} {route.path}": (route.openapi_extra or {})[key]
        for route in routes
        for method in sorted(route.methods or ())
    }


def test_each_role_has_exactly_the_permissions_written_out() -> None:
    written = {
        Role(role): {Permission(p) for p in permissions} for role, permissions in POLICY["roles"].items()
    }
    assert written == {role: set(permissions) for role, permissions in ROLE_PERMISSIONS.items()}


def test_every_web_route_declares_the_permission_written_out(db: Db) -> None:
    client = make_client(db)
    assert declared(page_routes(list(client.app.routes)), PERMISSION_KEY) == POLICY["routes"]["web"]  # type: ignore[attr-defined]


def test_every_api_route_declares_the_permission_written_out() -> None:
    api = create_api(records=None)  # type: ignore[arg-type]
    assert declared(page_routes(list(api.routes)), API_PERMISSION_KEY) == POLICY["routes"]["api"]


def test_no_case_content_is_public_and_only_signing_in_and_the_accessibility_statement_are() -> None:
    public = {route for route, permission in POLICY["routes"]["web"].items() if permission == "public"}
    assert public == {
        "GET /accessibility",
        "GET /sign-in",
        "POST /sign-in",
        "GET /sign-in/code",
        "POST /sign-in/code",
    }
    assert "public" not in POLICY["routes"]["api"].values()
    assert "signed_in" not in POLICY["routes"]["api"].values()


def test_the_policy_keeps_its_principles() -> None:
    roles = {
        Role(role): {Permission(p) for p in permissions} for role, permissions in POLICY["roles"].items()
    }
    assert roles[Role.ADMINISTRATOR].isdisjoint(CASE_CONTENT), "an administrator never sees case content"
    assert roles[Role.AUDITOR].isdisjoint(WRITES), "an auditor changes no records"
    assert roles[Role.PRACTITIONER] == {Permission.CONCERN_RAISE, Permission.CASE_VIEW_OWN}
    assert roles[Role.IG_ADVISER].isdisjoint({Permission.CASE_VIEW_OWN, Permission.CASE_VIEW_ALL}), (
        "advisers see of a case only what the question of advice needs"
    )
    signers = {role for role, permissions in roles.items() if Permission.DSA_SIGN in permissions}
    assert signers == {Role.SIRO}, "only the SIRO signs data sharing agreements"
    whole_caseload = {role for role, permissions in roles.items() if Permission.CASE_VIEW_ALL in permissions}
    assert whole_caseload == {Role.PREVENT_LEAD}
