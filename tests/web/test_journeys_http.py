"""The journeys over HTTP (the browser tests repeat the main ones in Chromium): every page renders,
permissions hold, forms validate field by field, and what is recorded is what the user decided."""

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from prevent_ig.adapters.records.tables import AssessmentRow, AuditEventRow, CaseRow, PartnerRequestRow
from prevent_ig.domain.access import Role
from prevent_ig.services.cases import age_on, date_of_birth
from tests.fixtures_db import Db
from tests.records.helpers import assess_case, open_case, sharing_consent

DRAFT = re.compile(r'name="draft" value="([^"]*)"')


def unescape(text: str) -> str:
    return text.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&").replace("&#39;", "'")


def test_practitioner_raises_a_concern_and_the_lead_is_notified(as_role) -> None:  # type: ignore[no-untyped-def]
    clinician = as_role(Role.PRACTITIONER, "clinician.one")
    bad = clinician.post_form(
        "/concerns/new", {"role": "patient", "given_name": "", "family_name": "Testperson"}
    )
    assert bad.status_code == 400
    assert "Enter their first name" in bad.text and 'href="#given_name"' in bad.text
    done = clinician.post_form(
        "/concerns/new",
        {
            "role": "patient",
            "given_name": "Alex",
            "family_name": "Testperson",
            "dob[day]": "17",
            "dob[month]": "5",
            "dob[year]": "1990",
            "address": "1 Synthetic Street",
            "nhs_number": "999 000 0018",
            "adult_at_risk": "no",
            "concern": "Synthetic: remarks about extremist videos.",
        },
    )
    assert done.status_code == 303
    case_page = clinician.client.get(done.headers["location"])
    assert "Alex Testperson" in case_page.text
    assert "Next actions" not in case_page.text  # practitioners cannot manage cases
    lead = as_role(Role.PREVENT_LEAD, "lead.one")
    board = lead.client.get("/dashboard")
    assert "New concern raised" in board.text


def test_a_practitioner_cannot_reach_another_practitioners_case(as_role) -> None:  # type: ignore[no-untyped-def]
    mine = as_role(Role.PRACTITIONER, "clinician.two")
    case_id = open_case(mine.db)  # raised by clinician.a, not clinician.two
    assert mine.client.get(f"/cases/{case_id}").status_code == 404
    assert f"Case {case_id}" not in mine.client.get("/cases").text


def answer(browser, case_id: int, draft: str, step: str, **fields: object):  # type: ignore[no-untyped-def]
    token = browser.csrf(f"/cases/{case_id}")
    data = {"draft": draft, "step": step, "action": "continue", "csrf_token": token, **fields}
    return browser.client.post(f"/cases/{case_id}/assess", data=data)


def draft_of(page) -> str:  # type: ignore[no-untyped-def]
    match = DRAFT.search(page.text)
    assert match, page.text[:2000]
    return unescape(match.group(1))


def test_the_guided_assessment_asks_only_what_is_needed_and_records_the_decision(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.two")
    case_id = open_case(lead.db)
    page = lead.client.get(f"/cases/{case_id}/assess")
    assert "What are you doing?" in page.text
    steps = [
        ("kind", {"answer": "referral"}),
        ("purpose", {"answer": "prevent_referral"}),
        ("adult_at_risk", {"answer": "no"}),
        ("capacity_doubt", {"answer": "no"}),
        ("consent_status", {"answer": "refused"}),
        ("recipient_type", {"answer": "police"}),
        (
            "recipient",
            {"recipient_name": "Synthetic Police Prevent Team", "recipient_email": "p@x.pnn.police.uk"},
        ),
        ("dsa_in_place", {"answer": "yes"}),
        ("legal_requirement", {"answer": "none"}),
        ("risks", {"answer_list": ["others"]}),
        ("substantial_public_interest", {"answer": "yes"}),
        ("informing_would_prejudice", {"answer": "yes"}),
    ]
    asked = []
    for step, fields in steps:
        asked.append(re.search(r'name="step" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
        page = answer(lead, case_id, draft_of(page), step, **fields)
        assert page.status_code == 200, (step, page.text[:3000])
    assert asked == [s for s, _ in steps]  # capacity and request questions were never asked
    assert "What information might be shared?" in page.text
    token = lead.csrf(f"/cases/{case_id}")
    page = lead.client.post(
        f"/cases/{case_id}/assess",
        data={
            "draft": draft_of(page),
            "step": "items",
            "action": "add_item",
            "csrf_token": token,
            "item_description": "Mental health summary",
            "item_category": "health",
            "item_relevant": "yes",
            "item_justification": "Explains the vulnerability",
        },
    )
    assert "Mental health summary" in page.text
    page = answer(lead, case_id, draft_of(page), "items")
    page = answer(lead, case_id, draft_of(page), "ig_advice", answer="none")
    page = answer(lead, case_id, draft_of(page), "rationale", answer="Synthetic rationale: risk to others.")
    assert "Check your answers" in page.text
    assert "pnn.police.uk is a secure domain" in page.text
    token = lead.csrf(f"/cases/{case_id}")
    decision = lead.client.post(
        f"/cases/{case_id}/assess", data={"draft": draft_of(page), "action": "decide", "csrf_token": token}
    )
    assert "You may share the information listed" in decision.text
    assert "DPA 2018 Sch 1 Part 2 para 10" in decision.text or "para 10" in decision.text
    assert "Prevent information-sharing decision" in decision.text  # the record note
    token = lead.csrf(f"/cases/{case_id}")
    missing_reason = lead.client.post(
        f"/cases/{case_id}/assess",
        data={
            "draft": draft_of(decision),
            "action": "record",
            "lead_decision": "depart",
            "csrf_token": token,
        },
    )
    assert missing_reason.status_code == 400 and "Explain why you depart" in missing_reason.text
    recorded = lead.client.post(
        f"/cases/{case_id}/assess",
        data={
            "draft": draft_of(decision),
            "action": "record",
            "lead_decision": "follow",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    with lead.db.uow() as uow:
        row = uow.session.scalars(select(AssessmentRow)).one()
        assert (row.outcome, row.lead_decision, row.decided_by) == ("share", "follow", "lead.two")
        assert row.output["basis"]["dpa_condition"] == "DPA2018.Sch1.Pt2.10"
    # The referral can now be recorded from the case page.
    referral = lead.client.get(f"/cases/{case_id}/referral?email=prevent%40evilgov.uk")
    assert "evilgov.uk is not secure" in referral.text
    moved = lead.post_form(
        f"/cases/{case_id}/move", {"move": "refer", "version": "1"}, form_page=f"/cases/{case_id}"
    )
    assert moved.status_code == 303
    with lead.db.uow() as uow:
        assert uow.session.get(CaseRow, case_id).stage == "referred"  # type: ignore[union-attr]


def test_a_tampered_draft_cannot_slip_past_the_contract(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.three")
    case_id = open_case(lead.db)
    token = lead.csrf(f"/cases/{case_id}")
    draft = json.dumps(
        {
            "kind": "referral",
            "purpose": "prevent_referral",
            "role": "patient",
            "age": 34,
            "adult_at_risk": "no",
            "capacity_doubt": "no",
            "consent_status": "given",
            "given_by": "subject",
            "recipient_type": "police",
            "recipient": {"name": "X", "email": ""},
            "dsa_in_place": "yes",
            "legal_requirement": "none",
            "risks": [],
            "substantial_public_interest": "no",
            "informing_would_prejudice": "no",
            "items": [
                {"id": "a", "description": "d", "category": "magic", "relevant": True, "justification": "j"}
            ],
            "ig_advice": "none",
            "rationale": "",
        }
    )
    page = lead.client.post(
        f"/cases/{case_id}/assess", data={"draft": draft, "action": "decide", "csrf_token": token}
    )
    assert page.status_code == 400
    text = " ".join(unescape(page.text).split())  # refused in the lead's words, on the answer's row
    assert (
        '<a href="#answer-items"> What information might be shared? Item 1: Input should be “Identity (name,'
        " date of birth, NHS number, gender, nationality, language, school or workplace)”, “Contact details"
        " (home address, telephone, email, family or carers)”,"
    ) in text
    assert "items.0.category" not in text and "'identity'" not in text


@pytest.mark.parametrize(
    ("draft", "action"),
    [  # each gave a 500 and a traceback before drafts were checked for their shape
        ({"items": 5}, "remove_item:0"),
        ({"items": "abc"}, "remove_item:0"),
        ({"items": 5}, "add_item"),
        ({"role": {}}, "decide"),
        ({"items": [{"description": {}}]}, "goto:items"),
        ({"age": "34"}, "decide"),
        ({"recipient": {"name": ["X"]}}, "decide"),
        ({"received": "9999-12-31"}, "decide"),
        ({"_request_id": "1"}, "record"),
        ({"no_such_question": "yes"}, "continue"),
        ([], "continue"),
    ],
)
def test_a_draft_of_the_wrong_shape_is_refused_whatever_the_action(
    as_role, draft: object, action: str
) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.shapes")
    case_id = open_case(lead.db)
    token = lead.csrf(f"/cases/{case_id}")
    before = audit_count(lead.db)

    page = lead.client.post(
        f"/cases/{case_id}/assess",
        data={"draft": json.dumps(draft), "action": action, "step": "role", "csrf_token": token},
    )

    assert page.status_code == 400, page.text[:300]
    assert "The answers could not be read" in page.text
    assert page.headers["cache-control"] == "no-store" and "content-security-policy" in page.headers
    with lead.db.uow() as uow:
        assert uow.session.scalars(select(AssessmentRow)).all() == []
    assert audit_count(lead.db) == before + 1  # the case read that checks access, and nothing more


def audit_count(db: Db) -> int:
    with db.uow() as uow:
        return len(uow.session.scalars(select(AuditEventRow.seq)).all())


def test_partner_request_intake_checklist_clock_and_clarification(as_role, db: Db) -> None:  # type: ignore[no-untyped-def]
    # The request arrives on 22 December, so that its deadline steps over Christmas and Boxing Day
    # (a date after today is refused), and the app's clock is on that day.
    db.clock.moment = datetime(2026, 12, 22, 9, 0, tzinfo=UTC)
    lead = as_role(Role.PREVENT_LEAD, "lead.four")
    case_id = open_case(lead.db)
    created = lead.post_form(
        f"/cases/{case_id}/requests/new",
        {
            "organisation": "Synthetic Council Channel Panel",
            "recipient_type": "channel_panel",
            "person": "A Coordinator",
            "role": "Channel coordinator",
            "email": "channel@synthetic.gov.uk",
            "purpose": "channel_information_gathering",
            "received[day]": "22",
            "received[month]": "12",
            "received[year]": "2026",
            "items": "GP contact\nMental health",
            "checks": ["proforma", "secure_channel", "consent_position_stated", "reason_given"],
            "powers": ["CTSA2015.s38"],
        },
    )
    assert created.status_code == 303, created.text
    page = lead.client.get(created.headers["location"])
    assert "Thursday 31 December 2026" in page.text
    assert "Missing:</strong> They said exactly what information they need" in page.text
    who = page.text[page.text.index("<h2>Who asked</h2>") : page.text.index("<h2>Checklist")]
    for shown in (
        "A Coordinator",
        "Channel coordinator",
        "channel@synthetic.gov.uk",
        "Channel panel",  # the kind of recipient, in words
        "Channel information gathering",
        "22 December 2026",
        "(CTSA2015.s38)",
    ):
        assert shown in who, shown
    request_id = int(created.headers["location"].rsplit("/", 1)[1])
    clarify = lead.post_form(
        f"/requests/{request_id}/clarify", {"missing": ["specific"]}, form_page=f"/requests/{request_id}"
    )
    assert clarify.status_code == 303
    with lead.db.uow() as uow:
        assert uow.session.get(PartnerRequestRow, request_id).status == "awaiting_clarification"  # type: ignore[union-attr]
    assert "The clock has stopped" in lead.client.get(f"/requests/{request_id}").text
    assess = lead.client.get(f"/cases/{case_id}/assess?request_id={request_id}")
    assert assess.status_code == 200


def test_every_case_page_read_is_audited(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.five")
    case_id = open_case(lead.db)
    lead.client.get(f"/cases/{case_id}")
    with lead.db.uow() as uow:
        events = list(uow.session.execute(select(AuditEventRow.event, AuditEventRow.actor)))
    assert ("case:record:view", "lead.five") in [tuple(e) for e in events]


def test_dashboard_shows_deadlines_and_stages(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.six")
    open_case(lead.db)
    board = lead.client.get("/dashboard")
    assert board.status_code == 200
    assert "Cases by stage" in board.text and "Concern raised" in board.text
    assert "No decisions recorded yet." in board.text


def test_the_dashboard_counts_standing_decisions_by_basis_and_lists_those_awaiting_advice(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.bases")
    db = lead.db
    asked = {"adviser_role": "dpo", "supports_sharing": None}
    waits_first = assess_case(db, open_case(db), ig_advice=asked)  # consent given: shared on consent
    assess_case(db, open_case(db))
    no_basis = open_case(db)
    not_sought = {"status": "not_sought", "given_by": None}
    first = assess_case(db, no_basis, consent=not_sought, ig_advice=asked)
    standing = assess_case(db, no_basis, consent=not_sought, ig_advice=asked, supersedes_id=first)
    assess_case(db, open_case(db), ig_advice={"adviser_role": "dpo", "supports_sharing": True})  # answered

    board = lead.client.get("/dashboard").text

    waiting = board[board.index("Decisions awaiting IG advice") : board.index('<h2 id="notifications">')]
    # By assessment id; not the one superseded, nor the one whose input holds the advice.
    assert re.findall(r"assessment (\d+)", waiting) == [str(waits_first), str(standing)]
    rows = re.findall(
        r'<th scope="row" class="nhsuk-table__header">(.*?)</th>\s*'
        r'<td class="nhsuk-table__cell nhsuk-table__cell--numeric">(\d+)</td>',
        board,
        flags=re.S,
    )
    bases = [
        (re.sub(r"<[^>]+>", "", label).strip(), int(count)) for label, count in rows if "href" not in label
    ]
    assert bases == [
        ("Common law duty of confidentiality: consent (CLDC.consent)", 3),
        ("No basis to share: seek consent", 1),
    ]


def test_empty_answers_render_as_empty_fields_not_none(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.seven")
    case_id = open_case(lead.db)
    token = lead.csrf(f"/cases/{case_id}")
    page = lead.client.post(
        f"/cases/{case_id}/assess", data={"draft": "{}", "action": "goto:rationale", "csrf_token": token}
    )
    assert "Explain your reasoning" in page.text
    assert ">None</textarea>" not in page.text
    page = lead.client.post(
        f"/cases/{case_id}/assess",
        data={"draft": "{}", "action": "goto:legal_requirement_detail", "csrf_token": token},
    )
    assert 'value="None"' not in page.text


def test_a_decision_built_on_answers_the_records_contradict_is_not_shown(as_role) -> None:  # type: ignore[no-untyped-def]
    # "Share, consent given" must not appear, even before recording, for a person whose record says
    # they refused: the lead is sent back to the answer, named by its question.
    lead = as_role(Role.PREVENT_LEAD, "lead.records")
    case_id = open_case(lead.db)
    sharing_consent(lead.db, case_id, actor="lead.records", given=False)
    with lead.db.uow() as uow:
        age = age_on(date_of_birth(uow, case_id), lead.db.clock.moment.date())
    draft = {
        "kind": "referral",
        "purpose": "prevent_referral",
        "role": "patient",
        "age": age,
        "adult_at_risk": "no",
        "capacity_doubt": "no",
        "consent_status": "given",
        "given_by": "subject",
        "recipient_type": "police",
        "recipient": {"name": "Synthetic Police", "email": "p@x.pnn.police.uk"},
        "dsa_in_place": "yes",
        "legal_requirement": "none",
        "risks": ["others"],
        "substantial_public_interest": "yes",
        "informing_would_prejudice": "no",
        "items": [
            {"id": "a", "description": "Name", "category": "identity", "relevant": True, "justification": "j"}
        ],
        "ig_advice": "none",
        "rationale": "Synthetic rationale.",
    }
    token = lead.csrf(f"/cases/{case_id}")

    page = lead.client.post(
        f"/cases/{case_id}/assess", data={"draft": json.dumps(draft), "action": "decide", "csrf_token": token}
    )

    assert page.status_code == 400
    text = unescape(page.text)
    assert "You may share" not in text and "Check your answers" in text
    assert (
        "Have they agreed to the sharing? The case's consent record says consent to sharing was refused"
        in text
    )
    assert 'href="#answer-consent_status"' in text and 'id="answer-consent_status"' in text
    # Answered as the record says, the decision is shown.
    draft["consent_status"] = "refused"
    shown = lead.client.post(
        f"/cases/{case_id}/assess", data={"draft": json.dumps(draft), "action": "decide", "csrf_token": token}
    )
    assert shown.status_code == 200 and "Check your answers" not in shown.text
