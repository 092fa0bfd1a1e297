"""Consent through the API: recorded on a case, refused naming the field, withdrawn once."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AuditEventRow, ConsentRow
from prevent_ig.domain.access import Role
from tests.api.conftest import Tokens
from tests.api.test_api import CASE
from tests.builders import input_data
from tests.fixtures_db import TODAY, Db

GIVEN = {
    "scope": "sharing",
    "status": "given",
    "given_by": "subject",
    "has_capacity": True,
    "sought_by": "Synthetic Lead",
    "sought_on": "2026-11-02",
}


def rows_and_events(db: Db) -> tuple[int, int]:
    with db.uow() as uow:
        consents = uow.session.scalar(select(func.count()).select_from(ConsentRow)) or 0
        events = uow.session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
    return consents, events


def test_consent_is_recorded_on_the_case_and_shown_with_it(api: TestClient, auth: Tokens) -> None:
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]

    created = api.post(f"/api/v1/cases/{case_id}/consents", json=GIVEN, headers=lead)

    assert created.status_code == 201, created.text
    case = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()
    [consent] = case["consents"]
    assert consent["id"] == created.json()["id"]
    assert (consent["scope"], consent["status"], consent["given_by"], consent["sought_on"]) == (
        "sharing",
        "given",
        "subject",
        "2026-11-02",
    )
    assert consent["recorded_on"] == TODAY.isoformat()
    assert any(e["kind"] == "consent" for e in case["timeline"])


def field_of(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def test_a_consent_that_cannot_stand_gets_422_naming_the_field_and_writes_nothing(
    api: TestClient, auth: Tokens, db: Db
) -> None:
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    path = f"/api/v1/cases/{case_id}/consents"
    before = rows_and_events(db)

    assert field_of(api.post(path, json={**GIVEN, "given_by": None}, headers=lead)) == ["given_by"]
    assert field_of(api.post(path, json={**GIVEN, "status": "withdrawn"}, headers=lead)) == ["status"]
    assert field_of(api.post(path, json={**GIVEN, "sought_on": "2099-01-01"}, headers=lead)) == ["sought_on"]
    not_sought = {"scope": "channel_support", "status": "not_sought", "has_capacity": True}
    assert field_of(api.post(path, json=not_sought, headers=lead)) == ["reason_not_sought"]
    assert api.post("/api/v1/cases/999/consents", json=GIVEN, headers=lead).status_code == 404

    assert rows_and_events(db) == before


def test_withdrawal_flags_earlier_disclosures_once_and_only_on_its_own_case(
    api: TestClient, auth: Tokens
) -> None:
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    other = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    consent_id = api.post(f"/api/v1/cases/{case_id}/consents", json=GIVEN, headers=lead).json()["id"]
    decision = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(), "lead_decision": "follow"},
        headers=lead,
    ).json()["id"]
    disclosed = api.post(
        f"/api/v1/decisions/{decision}/disclosures",
        json={"items": [{"id": "demographics", "content": "Synthetic"}], "method": "secure_email"},
        headers=lead,
    )
    assert disclosed.status_code == 201, disclosed.text

    elsewhere = api.post(f"/api/v1/cases/{other}/consents/{consent_id}/withdrawal", json={}, headers=lead)
    assert elsewhere.status_code == 404
    early = api.post(
        f"/api/v1/cases/{case_id}/consents/{consent_id}/withdrawal", json={"on": "2026-01-01"}, headers=lead
    )
    assert field_of(early) == ["on"]
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    late = api.post(
        f"/api/v1/cases/{case_id}/consents/{consent_id}/withdrawal", json={"on": tomorrow}, headers=lead
    )
    assert field_of(late) == ["on"]

    withdrawn = api.post(f"/api/v1/cases/{case_id}/consents/{consent_id}/withdrawal", json={}, headers=lead)

    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json() == {
        "consent_id": consent_id,
        "scope": "sharing",
        "flagged_disclosures": [disclosed.json()["id"]],
    }
    case = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()
    assert case["consents"][0]["withdrawn_on"] == TODAY.isoformat()
    assert case["disclosures"][0]["consent_withdrawn_on"] == TODAY.isoformat()
    again = api.post(f"/api/v1/cases/{case_id}/consents/{consent_id}/withdrawal", json={}, headers=lead)
    assert again.status_code == 409
    assert "already withdrawn" in again.json()["detail"]


def test_a_consent_recorded_after_midnight_in_summer_is_dated_by_englands_clock(
    api: TestClient, auth: Tokens, db: Db
) -> None:
    db.clock.moment = datetime(2027, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in England
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]

    created = api.post(
        f"/api/v1/cases/{case_id}/consents", json={**GIVEN, "sought_on": "2027-06-30"}, headers=lead
    )

    assert created.status_code == 201, created.text
    [consent] = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()["consents"]
    assert consent["recorded_on"] == "2027-07-01"


BEST_INTERESTS = {
    "scope": "sharing",
    "status": "not_sought",
    "reason_not_sought": "lacks_capacity",
    "has_capacity": False,
    "best_interests_decision": "Synthetic best interests reasoning.",
    "best_interests_consulted": "Synthetic consultee.",
}


def test_best_interests_reasoning_on_consent_reaches_a_lead_but_not_the_practitioner_who_raised_it(
    api: TestClient, auth: Tokens
) -> None:
    """As with a decision's rationale: the practitioner sees what was recorded, not the lead's reasons."""
    practitioner, lead = auth(Role.PRACTITIONER), auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=practitioner).json()["id"]
    assert api.post(f"/api/v1/cases/{case_id}/consents", json=BEST_INTERESTS, headers=lead).status_code == 201

    seen = api.get(f"/api/v1/cases/{case_id}", headers=practitioner)
    assert seen.status_code == 200, seen.text
    [consent] = seen.json()["consents"]
    assert (consent["status"], consent["reason_not_sought"], consent["has_capacity"]) == (
        "not_sought",
        "lacks_capacity",
        False,
    )
    assert (consent["best_interests_decision"], consent["best_interests_consulted"]) == (None, None)
    assert "Synthetic best interests reasoning." not in seen.text and "Synthetic consultee." not in seen.text

    [whole] = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()["consents"]
    assert (whole["best_interests_decision"], whole["best_interests_consulted"]) == (
        "Synthetic best interests reasoning.",
        "Synthetic consultee.",
    )
