"""A case's timeline reads in the order things happened, wherever it is shown (the case page, the API's
case, ``cases show``): by the day each step happened, then by the order entered. Steps are often
recorded late (a consent taken on a visit, entered back at the desk days later), and a step entered on
a later day than its own says so, for the auditor."""

import html
import json
import re
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus
from prevent_ig.entrypoints.cli.app import app
from prevent_ig.services.api_tokens import create_token
from prevent_ig.services.consents import NewConsent, record_consent
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case, partner_request
from tests.web.conftest import make_client

CONSENTED = TODAY + timedelta(days=2)
"""The day the person agreed, at a visit: recorded only when the lead is back a week later."""
LATER = TODAY + timedelta(days=7)
"""The day the lead records the week's work: a partner request that arrived that day, then the
consent taken at the visit."""


def case_recorded_late(db: Db) -> int:
    case_id = open_case(db, on=TODAY)
    db.clock.move_to(LATER)
    partner_request(db, case_id, LATER)
    with db.uow() as uow:
        record_consent(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            on=CONSENTED,
            consent=NewConsent(
                scope="sharing",
                status=ConsentStatus.GIVEN,
                has_capacity=True,
                sought_by="lead.a",
                sought_on=CONSENTED,
                given_by=ConsentGiver.SUBJECT,
            ),
        )
    return case_id


def day(d: date) -> str:
    return d.strftime("%-d %b %Y")


def test_the_case_page_lists_steps_by_the_day_they_happened_and_says_which_were_recorded_late(
    db: Db, as_role
) -> None:  # type: ignore[no-untyped-def]
    case_id = case_recorded_late(db)
    lead = as_role(Role.PREVENT_LEAD, "lead.a")  # signed in after the week, on the clock's new day

    page = html.unescape(lead.client.get(f"/cases/{case_id}").text)

    timeline = page.split("<h2>Timeline</h2>", 1)[1].split("</ol>", 1)[0]
    entries = [" ".join(re.sub(r"<[^>]+>", "", li).split()) for li in timeline.split("<li>")[1:]]
    assert [e.split(" ", 3)[:3] for e in entries] == [
        day(TODAY).split(),
        day(CONSENTED).split(),
        day(LATER).split(),
    ]
    concern, consent, request = entries
    assert consent.endswith(f"(lead.a, recorded {day(LATER)})")  # entered five days after the visit
    assert "recorded" not in concern and "recorded" not in request  # each entered on its own day


def test_the_api_and_the_cli_give_the_same_order_and_the_day_each_step_was_recorded(
    db: Db, tmp_path: Path
) -> None:
    case_id = case_recorded_late(db)
    with db.uow() as uow:
        _, token = create_token(uow=uow, actor="test", service="timeline", role=Role.PREVENT_LEAD, days=30)
    with make_client(db) as api:
        case = api.get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}).json()
    assert [(e["on"], e["recorded_on"]) for e in case["timeline"]] == [
        (TODAY.isoformat(), TODAY.isoformat()),
        (CONSENTED.isoformat(), LATER.isoformat()),
        (LATER.isoformat(), LATER.isoformat()),
    ]

    env = {
        "PREVENT_IG_DATABASE_URL": db.url,
        "PREVENT_IG_DATA_DIR": str(tmp_path / "data"),
        "PREVENT_IG_ENGINE_CONFIG": None,
        "PREVENT_IG_AUDIT_KEY": None,
    }
    shown = CliRunner().invoke(app, ["cases", "show", str(case_id)], env=env)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.split("timeline:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in lines] == [str(TODAY), str(CONSENTED), str(LATER)]
    assert lines[1].endswith(f"(recorded {LATER})") and "recorded" not in lines[0] + lines[2]
    as_json = json.loads(CliRunner().invoke(app, ["cases", "show", str(case_id), "--json"], env=env).stdout)
    assert [e["id"] for e in as_json["timeline"]] == [e["id"] for e in case["timeline"]]
