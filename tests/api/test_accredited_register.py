"""The accredited-domain register counts in the API as it does on the web: an address in a domain
only the register holds needs no [secure] tag, whichever way the question comes in."""

from datetime import timedelta

from fastapi.testclient import TestClient

from prevent_ig.domain.access import Role
from prevent_ig.services.registers import NewDomain, add_domain, remove_domain
from tests.api.conftest import Tokens
from tests.builders import input_data
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case

REGISTER_ONLY = "register-only.example.org.uk"
"""In no configuration file the tests use: only the register can make it secure."""
ADDRESS = f"prevent@{REGISTER_ONLY}"


def obligations(decision: dict[str, object]) -> set[str]:
    return {o["code"] for o in decision["obligations"]}  # type: ignore[attr-defined]


def register(db: Db) -> int:
    with db.uow() as uow:
        return add_domain(
            uow=uow,
            actor="ig.officer",
            domain=NewDomain(
                domain=REGISTER_ONLY, organisation="Synthetic", expires_on=TODAY + timedelta(days=90)
            ),
            on=TODAY,
        )


def test_assess_reads_the_register(api: TestClient, auth: Tokens, db: Db) -> None:
    lead = auth(Role.PREVENT_LEAD)
    body = input_data(recipient={"email": ADDRESS})
    assert "add_secure_tag" in obligations(api.post("/api/v1/assess", json=body, headers=lead).json())

    domain_id = register(db)
    assert "add_secure_tag" not in obligations(api.post("/api/v1/assess", json=body, headers=lead).json())

    with db.uow() as uow:
        remove_domain(uow=uow, actor="ig.officer", domain_id=domain_id)
    assert "add_secure_tag" in obligations(api.post("/api/v1/assess", json=body, headers=lead).json())


def test_a_recorded_decision_reads_the_register(api: TestClient, auth: Tokens, db: Db) -> None:
    lead = auth(Role.PREVENT_LEAD)
    register(db)
    case_id = open_case(db)
    body = {"assessment": input_data(recipient={"email": ADDRESS}), "lead_decision": "follow"}
    made = api.post(f"/api/v1/cases/{case_id}/decisions", json=body, headers=lead)
    assert made.status_code == 201, made.text
    assert "add_secure_tag" not in obligations(made.json()["output"])
