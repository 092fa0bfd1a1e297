"""The API's case view says which disclosures never reached their recipient, and since when."""

from fastapi.testclient import TestClient

from prevent_ig.domain.access import Role
from tests.api.conftest import Tokens
from tests.documents.builders import partner_request
from tests.fixtures_db import TODAY, Db
from tests.mail.fakes import AcceptingServer, RefusingServer, queue_pack, run_worker


def test_a_disclosure_whose_message_failed_for_good_carries_the_day_and_its_request_is_open(
    api: TestClient, auth: Tokens, db: Db
) -> None:
    delivered, refused = partner_request(db), partner_request(db)
    queue_pack(db, delivered.assessment_id)
    run_worker(db, AcceptingServer())
    queue_pack(db, refused.assessment_id)
    run_worker(db, RefusingServer())
    lead = auth(Role.PREVENT_LEAD)

    ok = api.get(f"/api/v1/cases/{delivered.case_id}", headers=lead).json()
    failed = api.get(f"/api/v1/cases/{refused.case_id}", headers=lead).json()

    assert [d["undelivered_on"] for d in ok["disclosures"]] == [None]
    assert [r["status"] for r in ok["requests"]] == ["answered"]
    assert [d["undelivered_on"] for d in failed["disclosures"]] == [TODAY.isoformat()]
    assert [(r["status"], r["due_on"]) for r in failed["requests"]] == [("open", "2026-11-30")]
