"""Every route declares a permission, and every role gets exactly what its permissions allow.

The matrix walks every route for every role and for an anonymous caller: anonymous callers are sent
to sign in, a role without the permission is refused (403), a role with it gets through the guard.
Posts without this session's CSRF token are refused even for the right role.
"""

import pytest
from fastapi.routing import APIRoute

from prevent_ig.domain.access import ROLE_PERMISSIONS, Permission, Role
from prevent_ig.entrypoints.web.auth import PERMISSION_KEY, page_routes
from tests.records.helpers import open_case
from tests.web.conftest import make_client


def routes(client) -> list[APIRoute]:  # type: ignore[no-untyped-def]
    return page_routes(list(client.app.routes))


def test_every_route_declares_a_permission_and_is_guarded(db) -> None:  # type: ignore[no-untyped-def]
    client = make_client(db)
    found = routes(client)
    assert len(found) > 15
    for route in found:
        permission = (route.openapi_extra or {}).get(PERMISSION_KEY)
        assert permission in {p.value for p in Permission}, route.path
        guards = [d.call.__name__ for d in route.dependant.dependencies if d.call is not None]
        assert f"requires_{permission.replace(':', '_')}" in guards, route.path


def concrete(path: str, case_id: int) -> str:
    """Real ids where a record exists (the case), 1 elsewhere: a missing record answers 404, not 422."""
    path = path.replace("{case_id}", str(case_id))
    for name in (
        "request_id",
        "assessment_id",
        "agreement_id",
        "contact_id",
        "domain_id",
        "draft_id",
        "outbox_id",
        "consent_id",
        "token_id",
        "user_id",
        "notification_id",
    ):
        path = path.replace("{" + name + "}", "1")
    return path.replace("{filename}", "missing.eml")


@pytest.mark.parametrize("role", [None, *Role])
def test_role_by_route_matrix(db, as_role, role: Role | None) -> None:  # type: ignore[no-untyped-def]
    client = as_role(role).client if role else make_client(db)
    case_id = open_case(db)
    for route in routes(client):
        permission = Permission(route.openapi_extra[PERMISSION_KEY])
        for method in route.methods:
            path = concrete(route.path, case_id)
            assert "{" not in path, f"give {route.path} a real id in concrete()"
            response = client.request(
                method, path, follow_redirects=False, data={} if method == "POST" else None
            )
            where = f"{role} {method} {path}"
            if permission is Permission.PUBLIC:
                assert response.status_code < 500, where
            elif role is None:
                assert response.status_code == 303, where
                assert response.headers["location"].startswith("/sign-in"), where
            elif permission is Permission.SIGNED_IN or permission in ROLE_PERMISSIONS[role]:
                assert response.status_code != 403, where
                if method == "POST":
                    assert response.status_code == 400 and "form has expired" in response.text, where
            else:
                assert response.status_code == 403, where
