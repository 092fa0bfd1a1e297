"""The JSON API: described by OpenAPI 3.1, the web app's permissions, problem details, concurrency."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    CaseEventRow,
    CaseRow,
    DisclosureRow,
    PartnerRequestRow,
    SubjectRow,
)
from prevent_ig.domain.access import ROLE_PERMISSIONS, Permission, Role
from prevent_ig.entrypoints.api.app import create_api
from prevent_ig.entrypoints.api.problems import PROBLEM_BASE
from prevent_ig.entrypoints.web.auth import page_routes
from prevent_ig.services.api_tokens import create_token, revoke_token
from prevent_ig.services.requests import ask_for_clarification, mark_answered
from tests.builders import REQUEST_COMPLETE, input_data
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import partner_request

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.json"
CASE = {
    "subject": {
        "role": "patient",
        "given_name": "Alex",
        "family_name": "Testperson",
        "date_of_birth": "1990-05-17",
        "address": "1 Synthetic Street",
        "nhs_number": "999 000 0018",
    },
    "concern": "Synthetic concern.",
}

REQUEST = {
    "organisation": "Synthetic Council",
    "person": "A Coordinator",
    "role": "Channel coordinator",
    "email": "channel@synthetic.gov.uk",
    "recipient_type": "channel_panel",
    "purpose": "channel_information_gathering",
    "received_on": TODAY.isoformat(),
    "items_requested": ["GP contact"],
    "proforma": True,
    "secure_channel": True,
    "consent_position_stated": True,
    "reason_given": True,
    "specific": True,
}
"""A complete partner request, received today, as an integration records it."""


def count(db: Db, table: type) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def test_committed_openapi_matches_the_served_description(api) -> None:  # type: ignore[no-untyped-def]
    served = api.get("/api/v1/openapi.json").json()
    assert served["openapi"] == "3.1.0"
    assert json.loads(OPENAPI.read_text(encoding="utf-8")) == served, (
        "docs/openapi.json is stale: run `prevent-ig openapi > docs/openapi.json`"
    )


def test_every_api_route_declares_a_permission() -> None:
    api = create_api(records=None)  # type: ignore[arg-type]
    routes = page_routes(list(api.routes))
    assert len(routes) >= 10
    for route in routes:
        permission = route.openapi_extra["x-permission"]  # type: ignore[index]
        guards = [d.call.__name__ for d in route.dependant.dependencies if d.call is not None]
        assert f"api_requires_{permission.replace(':', '_')}" in guards


def test_role_by_route_matrix_and_anonymous(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    calls = [
        ("POST", "/assess", input_data(), Permission.ASSESSMENT_RUN),
        ("POST", "/cases", CASE, Permission.CONCERN_RAISE),
        ("GET", "/cases", None, Permission.CASE_VIEW_OWN),
        ("GET", "/cases/999", None, Permission.CASE_VIEW_OWN),
        ("POST", "/cases/999/transitions", {"move": "refer", "version": 1}, Permission.CASE_MANAGE),
        (
            "POST",
            "/cases/999/decisions",
            {"assessment": input_data(), "lead_decision": "follow"},
            Permission.ASSESSMENT_RUN,
        ),
        ("GET", "/decisions/999", None, Permission.CASE_VIEW_ALL),
        (
            "POST",
            "/decisions/999/disclosures",
            {"items": [{"id": "a", "content": "b"}], "method": "secure_email"},
            Permission.CASE_MANAGE,
        ),
        ("GET", "/requests/999", None, Permission.REQUEST_MANAGE),
        (
            "POST",
            "/cases/999/consents",
            {"scope": "sharing", "status": "refused", "has_capacity": True, "sought_on": "2026-11-02"},
            Permission.CASE_MANAGE,
        ),
        ("POST", "/cases/999/consents/999/withdrawal", {}, Permission.CASE_MANAGE),
        ("GET", "/due?within=5", None, Permission.DASHBOARD_VIEW),
        ("GET", "/audit/verify", None, Permission.AUDIT_VIEW),
    ]
    for method, path, body, permission in calls:
        anonymous = api.request(method, "/api/v1" + path, json=body)
        assert anonymous.status_code == 401, path
        assert anonymous.headers["content-type"] == "application/problem+json"
        for role in Role:
            response = api.request(method, "/api/v1" + path, json=body, headers=auth(role))
            allowed = permission in ROLE_PERMISSIONS[role]
            assert (response.status_code != 403) == allowed, (role, method, path, response.status_code)
            assert response.status_code < 500, (role, path)


def test_a_missing_record_is_the_same_problem_whatever_its_kind(api, auth) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    for path, what in (
        ("/cases/999", "case"),
        ("/decisions/999", "decision"),
        ("/requests/999", "partner request"),
    ):
        response = api.get("/api/v1" + path, headers=lead)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": PROBLEM_BASE + "not-found",
            "title": "Not found",
            "status": 404,
            "detail": f"{what} 999 does not exist",
        }


def test_expired_and_revoked_tokens_are_refused(api, db: Db) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        token_id, token = create_token(uow=uow, actor="t", service="EHR", role=Role.AUDITOR, days=1)
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/audit/verify", headers=headers).status_code == 200
    db.clock.moment = db.clock.moment.replace(day=28)  # two days later
    assert api.get("/api/v1/audit/verify", headers=headers).status_code == 401
    with db.uow() as uow:
        other_id, other = create_token(uow=uow, actor="t", service="EHR", role=Role.AUDITOR, days=30)
    with db.uow() as uow:
        revoke_token(uow=uow, actor="admin", token_id=other_id)
    assert api.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert token_id != other_id


def test_a_practitioner_token_cannot_read_a_case_it_did_not_raise(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    practitioner = auth(Role.PRACTITIONER)
    assert api.get(f"/api/v1/cases/{case_id}", headers=practitioner).status_code == 404
    with db.uow() as uow:
        newest = uow.session.execute(
            select(AuditEventRow.event, AuditEventRow.case_id, AuditEventRow.actor).order_by(
                AuditEventRow.seq.desc()
            )
        ).first()
    assert newest is not None
    assert (newest.event, newest.case_id) == ("case:record:refuse", case_id)  # a refused look, not a view
    assert newest.actor.startswith("token:")
    own_id = api.post("/api/v1/cases", json=CASE, headers=practitioner).json()["id"]
    assert api.get(f"/api/v1/cases/{own_id}", headers=practitioner).status_code == 200
    assert [c["id"] for c in api.get("/api/v1/cases", headers=practitioner).json()] == [own_id]


def test_assess_returns_the_decision_and_problem_details_name_fields(api, auth) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    ok = api.post("/api/v1/assess", json=input_data(), headers=lead)
    assert ok.status_code == 200 and ok.json()["outcome"] == "share"
    bad = api.post("/api/v1/assess", json=input_data(subject={"age": "old"}, kind="x"), headers=lead)
    assert bad.status_code == 422
    body = bad.json()
    assert body["type"].endswith("/invalid-input") and body["status"] == 422
    assert {e["field"] for e in body["errors"]} == {"subject.age", "kind"}


def test_full_flow_with_optimistic_concurrency(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    refused = api.post(
        f"/api/v1/cases/{case_id}/transitions", json={"move": "refer", "version": 1}, headers=lead
    )
    assert refused.status_code == 422 and "prevent_referral" in refused.json()["detail"]
    decision = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(), "lead_decision": "follow"},
        headers=lead,
    )
    assert decision.status_code == 201 and decision.json()["outcome"] == "share"
    moved = api.post(
        f"/api/v1/cases/{case_id}/transitions", json={"move": "refer", "version": 1}, headers=lead
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = api.post(
        f"/api/v1/cases/{case_id}/transitions", json={"move": "start_screening", "version": 1}, headers=lead
    )
    assert stale.status_code == 409 and stale.json()["type"].endswith("/stale-version")
    decision_id = decision.json()["id"]
    withheld = api.post(
        f"/api/v1/decisions/{decision_id}/disclosures",
        json={"items": [{"id": "other", "content": "x"}], "method": "secure_email"},
        headers=lead,
    )
    assert withheld.status_code == 409
    sent = api.post(
        f"/api/v1/decisions/{decision_id}/disclosures",
        json={"items": [{"id": "demographics", "content": "Synthetic snapshot"}], "method": "secure_email"},
        headers=lead,
    )
    assert sent.status_code == 201
    detail = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()
    assert detail["stage"] == "referred" and detail["disclosures"][0]["item_ids"] == ["demographics"]


def test_a_move_or_disclosure_dated_after_today_gets_422_naming_on(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    # Both were accepted: a move dated next month set its deadlines from then, and a disclosure could be
    # dated before the decision that authorised it.
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    decision_id = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(), "lead_decision": "follow"},
        headers=lead,
    ).json()["id"]
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    items = [{"id": "demographics", "content": "Synthetic snapshot"}]
    for path, body, message in [
        (f"/cases/{case_id}/transitions", {"move": "refer", "version": 1, "on": tomorrow}, "in the future"),
        (
            f"/decisions/{decision_id}/disclosures",
            {"items": items, "method": "secure_email", "on": tomorrow},
            "in the future",
        ),
        (
            f"/decisions/{decision_id}/disclosures",
            {"items": items, "method": "secure_email", "on": yesterday},
            "was decided",
        ),
    ]:
        refused = api.post("/api/v1" + path, json=body, headers=lead)
        assert refused.status_code == 422, (path, refused.text)
        (error,) = refused.json()["errors"]
        assert error["field"] == "on" and message in error["message"], error
    case = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()
    assert (case["stage"], case["version"], case["disclosures"]) == ("concern_raised", 1, [])


def test_a_move_dated_before_what_it_follows_gets_422_naming_on_and_the_first_day_allowed(  # type: ignore[no-untyped-def]
    api, auth, db: Db
) -> None:
    # A referral dated before the decision to refer said information was shared before the lawful
    # decision to share it existed; the API took it.
    lead = auth(Role.PREVENT_LEAD)
    opened = TODAY
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    decided = TODAY + timedelta(days=5)
    db.clock.move_to(decided)
    decision_id = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(), "lead_decision": "follow"},
        headers=lead,
    ).json()["id"]
    db.clock.move_to(decided + timedelta(days=10))  # recorded late
    transitions = f"/api/v1/cases/{case_id}/transitions"
    before = count(db, CaseEventRow)
    for on, message in [
        (opened - timedelta(days=1), f"cannot be before {opened}, when the case was opened"),
        (
            decided - timedelta(days=1),
            f"cannot be before {decided}, when assessment {decision_id} was decided",
        ),
    ]:
        refused = api.post(
            transitions, json={"move": "refer", "version": 1, "on": on.isoformat()}, headers=lead
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["type"] == PROBLEM_BASE + "invalid-input"
        assert body["errors"] == [{"field": "on", "message": message}]
    assert count(db, CaseEventRow) == before
    referred = decided + timedelta(days=2)
    moved = api.post(
        transitions, json={"move": "refer", "version": 1, "on": referred.isoformat()}, headers=lead
    )
    assert moved.status_code == 200, moved.text
    early = api.post(
        transitions,
        json={"move": "start_screening", "version": 2, "on": (referred - timedelta(days=1)).isoformat()},
        headers=lead,
    )
    assert early.status_code == 422, early.text
    assert early.json()["errors"] == [
        {"field": "on", "message": f"cannot be before {referred}, when the case's last move was made"}
    ]
    same_day = api.post(
        transitions, json={"move": "start_screening", "version": 2, "on": referred.isoformat()}, headers=lead
    )
    assert same_day.status_code == 200, same_day.text


def test_a_decision_whose_age_contradicts_the_date_of_birth_gets_422_naming_it(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    refused = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(subject={"age": 15}), "lead_decision": "follow"},
        headers=lead,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"field": "assessment.subject.age", "message": "must agree with the date of birth on the case record"}
    ]
    assert api.get(f"/api/v1/cases/{case_id}", headers=lead).json()["assessments"] == []


def test_an_assessment_of_a_request_received_after_today_gets_422_naming_it(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    data = input_data(kind="request_response", request={**REQUEST_COMPLETE, "received": tomorrow})
    message = f"must be on or before the decision date, {TODAY.isoformat()}: a request cannot be answered"
    asked = api.post("/api/v1/assess", json=data, headers=lead)
    assert asked.status_code == 422, asked.text
    assert [(e["field"], message in e["message"]) for e in asked.json()["errors"]] == [
        ("request.received", True)
    ]
    recorded = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": data, "lead_decision": "follow"},
        headers=lead,
    )
    assert recorded.status_code == 422, recorded.text
    errors = recorded.json()["errors"]
    assert [(e["field"], message in e["message"]) for e in errors] == [("assessment.request.received", True)]
    assert api.get(f"/api/v1/cases/{case_id}", headers=lead).json()["assessments"] == []


def test_a_disclosure_with_blank_content_gets_422_naming_the_item_and_records_nothing(  # type: ignore[no-untyped-def]
    api, auth, db: Db
) -> None:
    # It was 201 with an empty disclosure on record, standing as the record of what was sent, while the
    # command line and the disclosure pack refused blank content.
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    decision_id = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(), "lead_decision": "follow"},
        headers=lead,
    ).json()["id"]
    before = (count(db, DisclosureRow), count(db, CaseEventRow), count(db, AuditEventRow))
    for content in ("", "  ", "\n\t "):
        refused = api.post(
            f"/api/v1/decisions/{decision_id}/disclosures",
            json={"items": [{"id": "demographics", "content": content}], "method": "secure_email"},
            headers=lead,
        )
        assert refused.status_code == 422, (content, refused.text)
        assert refused.json()["type"].endswith("/invalid-input")
        (error,) = refused.json()["errors"]
        assert error == {"field": "items.demographics", "message": "give the content that is being released"}
    assert (count(db, DisclosureRow), count(db, CaseEventRow), count(db, AuditEventRow)) == before
    case = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()
    assert case["disclosures"] == []


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    before = (count(db, CaseRow), count(db, SubjectRow))
    huge = api.post(
        "/api/v1/cases",
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={**lead, "content-type": "application/json"},
    )
    assert huge.status_code == 413
    deep = api.post(
        "/api/v1/cases",
        content=("[" * 100_000 + "]" * 100_000).encode(),
        headers={**lead, "content-type": "application/json"},
    )
    assert 400 <= deep.status_code < 500
    deep_assess = api.post(
        "/api/v1/assess",
        content=("[" * 100_000 + "]" * 100_000).encode(),
        headers={**lead, "content-type": "application/json"},
    )
    assert 400 <= deep_assess.status_code < 500
    not_utf8 = api.post(
        "/api/v1/cases",
        content=b'{"concern": "\xff\xfe"}',
        headers={**lead, "content-type": "application/json"},
    )
    assert 400 <= not_utf8.status_code < 500
    wrong = api.post(
        "/api/v1/cases", json={**CASE, "subject": {**CASE["subject"], "date_of_birth": 7}}, headers=lead
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "subject.date_of_birth"
    bad_nhs = api.post(
        "/api/v1/cases",
        json={**CASE, "subject": {**CASE["subject"], "nhs_number": "943 476 5918"}},
        headers=lead,
    )
    assert bad_nhs.status_code == 422 and bad_nhs.json()["errors"][0]["field"] == "subject.nhs_number"
    assert (count(db, CaseRow), count(db, SubjectRow)) == before


def test_nul_characters_are_refused_before_reaching_the_database(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    body = {**CASE, "subject": {**CASE["subject"], "given_name": "\u0000"}}
    response = api.post("/api/v1/cases", json=body, headers=lead)
    assert response.status_code == 400
    assert "NUL" in response.text
    assert count(db, CaseRow) == 0


def test_every_permitted_call_leaves_an_audit_event_with_the_token_as_actor(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    auditor = auth(Role.AUDITOR)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    calls = [
        (lead, "POST", "/assess", input_data()),
        (lead, "GET", "/cases", None),
        (lead, "GET", f"/cases/{case_id}", None),
        (lead, "GET", "/due", None),
        (auditor, "GET", "/audit/verify", None),
    ]
    for headers, method, path, body in calls:
        with db.uow() as uow:
            before = uow.session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
        assert api.request(method, "/api/v1" + path, json=body, headers=headers).status_code == 200, path
        with db.uow() as uow:
            newest = uow.session.scalars(select(AuditEventRow).where(AuditEventRow.seq > before)).all()
            actors = {e.actor for e in newest}
        assert newest, f"{path} left no audit event"
        assert all(a.startswith("token:") for a in actors), (path, actors)


def test_a_request_received_after_today_gets_422_naming_received_on(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    body = {**REQUEST, "received_on": (TODAY + timedelta(days=1)).isoformat()}
    before = (count(db, PartnerRequestRow), count(db, AuditEventRow))

    refused = api.post(f"/api/v1/cases/{case_id}/requests", json=body, headers=lead)

    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"field": "received_on", "message": "cannot be in the future"}]
    assert (count(db, PartnerRequestRow), count(db, AuditEventRow)) == before
    today = api.post(
        f"/api/v1/cases/{case_id}/requests", json={**body, "received_on": TODAY.isoformat()}, headers=lead
    )
    assert today.status_code == 201, today.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"organisation": "   "}, "organisation"),
        ({"person": " \t"}, "person"),
        ({"role": "\u00a0"}, "role"),
        ({"items_requested": ["GP contact", "  "]}, "items_requested.1"),
        ({"items_requested": [""]}, "items_requested.0"),
    ],
    ids=["organisation", "person", "role", "blank-item", "empty-item"],
)
def test_a_request_with_a_blank_organisation_or_item_gets_422_and_records_nothing(  # type: ignore[no-untyped-def]
    api, auth, db: Db, change: dict[str, object], field: str
) -> None:
    # The web form and email intake refused these; the API recorded a request from no one, for nothing.
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    body = dict(REQUEST)
    before = (count(db, PartnerRequestRow), count(db, AuditEventRow))

    refused = api.post(f"/api/v1/cases/{case_id}/requests", json={**body, **change}, headers=lead)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [{"field": field, "message": "must not be blank"}]
    assert (count(db, PartnerRequestRow), count(db, AuditEventRow)) == before


def test_information_gathering_can_name_the_request_that_asked_for_it(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    """The request's own clock is then the deadline: the case reports none of its own (services/pathway)."""
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    assert api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(), "lead_decision": "follow"},
        headers=lead,
    ).is_success
    version = 1
    for move in ("refer", "start_screening"):
        moved = api.post(
            f"/api/v1/cases/{case_id}/transitions", json={"move": move, "version": version}, headers=lead
        )
        version = moved.json()["version"]
    request_id = partner_request(db, case_id, TODAY)
    gather = {"move": "gather_information", "version": version}
    before = count(db, AuditEventRow)

    stranger = api.post(
        f"/api/v1/cases/{case_id}/transitions", json={**gather, "information_request_id": 999}, headers=lead
    )

    assert stranger.status_code == 422, stranger.text
    assert stranger.json()["errors"] == [
        {"field": "information_request_id", "message": f"case {case_id} has no partner request 999"}
    ]
    assert count(db, AuditEventRow) == before

    moved = api.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={**gather, "information_request_id": request_id},
        headers=lead,
    )

    assert moved.status_code == 200, moved.text
    assert (moved.json()["stage"], moved.json()["next_due_on"]) == ("information_gathering", None)
    case = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()
    assert case["information_request_id"] == request_id
    assert case["information_due_on"] == case["requests"][0]["due_on"]


def test_a_date_past_2099_gets_422_naming_its_field_where_it_used_to_crash(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    # Gathering information counts its deadline on from the date asked: from 9999-12-31 that ran off
    # the calendar (OverflowError, a 500).
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    decided = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(), "lead_decision": "follow"},
        headers=lead,
    )
    assert decided.status_code == 201
    version = 1
    for move in ("refer", "start_screening"):
        moved = api.post(
            f"/api/v1/cases/{case_id}/transitions", json={"move": move, "version": version}, headers=lead
        )
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    before = (count(db, AuditEventRow), version)

    gather = {"move": "gather_information", "version": version}
    refused = api.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={**gather, "information_request_on": "9999-12-31"},
        headers=lead,
    )

    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["field"] == "information_request_on" and "2099-12-31" in error["message"]
    case = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()
    assert (case["stage"], case["version"]) == ("police_screening", version)
    assert count(db, AuditEventRow) == before[0] + 1  # only the read just made
    later = api.post(  # within the years, but after the move: it would push the deadline out
        f"/api/v1/cases/{case_id}/transitions",
        json={**gather, "information_request_on": "2099-12-31"},
        headers=lead,
    )
    assert later.status_code == 422, later.text
    (error,) = later.json()["errors"]
    assert error == {"field": "information_request_on", "message": "cannot be in the future"}
    accepted = api.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={**gather, "information_request_on": TODAY.isoformat()},
        headers=lead,
    )
    assert accepted.status_code == 200, accepted.text
    for path, body in [
        ("/cases", {**CASE, "subject": {**CASE["subject"], "date_of_birth": "1899-12-31"}}),
        (
            f"/cases/{case_id}/consents",
            {
                "scope": "sharing",
                "status": "given",
                "has_capacity": True,
                "sought_by": "A Lead",
                "sought_on": "2100-01-01",
                "given_by": "subject",
            },
        ),
    ]:
        response = api.post("/api/v1" + path, json=body, headers=lead)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] in {"subject.date_of_birth", "sought_on"}


def test_a_refused_call_is_audited_by_its_route_with_record_ids_only(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    # The refusal was recorded with the raw path, so text typed into it (a name) reached the audit log.
    practitioner = auth(Role.PRACTITIONER)
    for path, entity in [
        ("/api/v1/decisions/Jo%20Testperson", "/decisions/{decision_id}"),
        ("/api/v1/decisions/7", "/decisions/7"),
    ]:
        assert api.get(path, headers=practitioner).status_code == 403
        with db.uow() as uow:
            recorded = uow.session.scalars(
                select(AuditEventRow.entity)
                .where(AuditEventRow.event == "api:call:refuse")
                .order_by(AuditEventRow.seq.desc())
            ).first()
        assert recorded == entity


def test_a_partner_request_comes_with_its_clarifications(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    # The clock stops while a clarification is awaited: an integration must see what was asked, and when.
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    body = {**REQUEST, "specific": False}
    request_id = api.post(f"/api/v1/cases/{case_id}/requests", json=body, headers=lead).json()["id"]
    with db.uow() as uow:
        asked = ask_for_clarification(
            uow=uow, actor="lead.a", request_id=request_id, missing=["which GP records"], on=TODAY
        )

    shown = api.get(f"/api/v1/requests/{request_id}", headers=lead)

    assert shown.status_code == 200, shown.text
    assert shown.json()["status"] == "awaiting_clarification"
    assert shown.json()["clarifications"] == [
        {"id": asked, "sent_on": TODAY.isoformat(), "missing": ["which GP records"], "resolved_on": None}
    ]


def test_an_answered_request_says_when_it_was_answered(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    # Whether it was answered in time is answered_on against due_on, without the oversight report.
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    body = {**REQUEST, "received_on": (TODAY - timedelta(days=2)).isoformat()}
    request_id = api.post(f"/api/v1/cases/{case_id}/requests", json=body, headers=lead).json()["id"]
    assert api.get(f"/api/v1/requests/{request_id}", headers=lead).json()["answered_on"] is None
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=TODAY - timedelta(days=1))

    shown = api.get(f"/api/v1/requests/{request_id}", headers=lead).json()
    (in_case,) = api.get(f"/api/v1/cases/{case_id}", headers=lead).json()["requests"]

    assert (shown["status"], shown["answered_on"]) == ("answered", (TODAY - timedelta(days=1)).isoformat())
    assert in_case["answered_on"] == shown["answered_on"]


def test_a_request_is_clarified_and_answered_through_the_api_as_on_the_web(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    # An integration that records requests must also stop their clock, restart it, and close them:
    # without these the request stayed on the due list, its clock running, whatever happened.
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    received = TODAY - timedelta(days=7)
    body = {**REQUEST, "received_on": received.isoformat(), "specific": False, "legal_powers_cited": []}
    request_id = api.post(f"/api/v1/cases/{case_id}/requests", json=body, headers=lead).json()["id"]
    url = f"/api/v1/requests/{request_id}"

    early = api.post(f"{url}/answer", json={"on": received.isoformat()}, headers=lead)
    assert early.status_code == 204  # answered the day it arrived is fine; reopen it below by a new one
    refused = api.post(f"{url}/clarifications", json={"missing": ["request_specific"]}, headers=lead)
    assert refused.status_code == 409 and "answered" in refused.json()["detail"]

    request_id = api.post(f"/api/v1/cases/{case_id}/requests", json=body, headers=lead).json()["id"]
    url = f"/api/v1/requests/{request_id}"
    asked_on = received + timedelta(days=1)
    for bad, field in (
        ({"missing": []}, "missing"),
        ({"missing": ["  "]}, "missing"),
        ({"missing": ["x"], "on": (TODAY + timedelta(days=1)).isoformat()}, "on"),
        ({"missing": ["x"], "on": (received - timedelta(days=1)).isoformat()}, "on"),
    ):
        response = api.post(f"{url}/clarifications", json=bad, headers=lead)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (
            bad,
            response.text,
        )
    asked = api.post(
        f"{url}/clarifications",
        json={"missing": ["request_specific", "request_legal_powers"], "on": asked_on.isoformat()},
        headers=lead,
    )
    assert asked.status_code == 201, asked.text
    assert api.get(url, headers=lead).json()["status"] == "awaiting_clarification"
    not_yet = api.post(f"{url}/answer", json={}, headers=lead)
    assert not_yet.status_code == 409 and "clarify" in not_yet.json()["detail"]

    unknown = api.post(f"{url}/clarification-answer", json={"supplied": ["status"]}, headers=lead)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "supplied"
    replied_on = asked_on + timedelta(days=2)
    replied = api.post(
        f"{url}/clarification-answer",
        json={"on": replied_on.isoformat(), "supplied": ["specific"], "powers": ["CTSA2015.s38"]},
        headers=lead,
    )
    assert replied.status_code == 200, replied.text
    due_on = db.config.calendar.add_working_days(replied_on, 5)
    assert replied.json() == {"due_on": due_on.isoformat()}
    shown = api.get(url, headers=lead).json()
    assert (shown["status"], shown["due_on"], shown["specific"], shown["legal_powers_cited"]) == (
        "open",
        due_on.isoformat(),
        True,
        ["CTSA2015.s38"],
    )

    answered = api.post(f"{url}/answer", json={"on": TODAY.isoformat()}, headers=lead)
    assert answered.status_code == 204, answered.text
    shown = api.get(url, headers=lead).json()
    assert (shown["status"], shown["answered_on"]) == ("answered", TODAY.isoformat())
    assert api.post(f"{url}/answer", json={}, headers=lead).status_code == 409
    with db.uow() as uow:
        events = uow.session.scalars(
            select(AuditEventRow.event).where(AuditEventRow.entity.like(f"%request:{request_id}"))
        ).all()
    assert "case:request:update" in events
    assert api.post("/api/v1/requests/999999/answer", json={}, headers=lead).status_code == 404


def test_a_decision_contradicting_its_requests_record_gets_422_naming_each_field(api, auth, db: Db) -> None:  # type: ignore[no-untyped-def]
    lead = auth(Role.PREVENT_LEAD)
    case_id = api.post("/api/v1/cases", json=CASE, headers=lead).json()["id"]
    body = {**REQUEST, "specific": False, "legal_powers_cited": []}  # vague, and citing nothing
    request_id = api.post(f"/api/v1/cases/{case_id}/requests", json=body, headers=lead).json()["id"]
    as_recorded = {
        "kind": "request_response",
        "purpose": "channel_information_gathering",
        "recipient": {
            "name": "Synthetic Council",
            "type": "channel_panel",
            "competent_authority": False,
            "email": "CHANNEL@synthetic.gov.uk",  # the requestor's mailbox, whatever the case of its letters
            "dsa_in_place": True,
        },
        "request": {
            **REQUEST_COMPLETE,
            "received": TODAY.isoformat(),
            "specific": False,
            "legal_powers_cited": [],
        },
    }
    contradicting = input_data(
        **{
            **as_recorded,
            "recipient": {**as_recorded["recipient"], "email": "intake@someone-else.example.org"},
            "request": {**as_recorded["request"], "specific": True, "legal_powers_cited": ["CTSA2015.s38"]},
        }
    )
    refused = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": contradicting, "lead_decision": "follow", "request_id": request_id},
        headers=lead,
    )

    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [
        "assessment.recipient.email",
        "assessment.request.specific",
        "assessment.request.legal_powers_cited",
    ]
    assert api.get(f"/api/v1/cases/{case_id}", headers=lead).json()["assessments"] == []
    assert api.get(f"/api/v1/requests/{request_id}", headers=lead).json()["status"] == "open"
    with db.uow() as uow:  # nor any event saying one was
        events = uow.session.scalars(
            select(AuditEventRow.event).where(AuditEventRow.event.like("case:assessment%"))
        )
        assert list(events) == []
    recorded = api.post(
        f"/api/v1/cases/{case_id}/decisions",
        json={"assessment": input_data(**as_recorded), "lead_decision": "follow", "request_id": request_id},
        headers=lead,
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["outcome"] == "clarify"  # as the record says, it goes back to the requestor
