"""IG advice read back: on the case page beside the assessment it answers, and in the Caldicott log.

The guidance (§2) asks for advice on sharing to be kept in a Caldicott log; a log nobody can read
serves no one. The Prevent lead reassesses with the advice in front of them; advisers, the SIRO and
auditors read the log as a whole; an administrator, who never sees case content, cannot.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.tables import AuditEventRow, CaldicottLogRow
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import AdviserRole
from prevent_ig.services.advice import Advice, record_advice
from prevent_ig.services.assessments import LeadDecision
from prevent_ig.services.caldicott_log import PAGE_SIZE
from prevent_ig.services.cases import view_case
from prevent_ig.services.errors import InvalidFieldError
from prevent_ig.services.governance import CaldicottEntry, log_caldicott_advice
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case

AWAITED = {"adviser_role": "dpo", "supports_sharing": None}


def audit_events(db: Db) -> list[tuple[str, str, int | None, str | None]]:
    with db.uow() as uow:
        rows = uow.session.scalars(select(AuditEventRow))
        return [(e.actor, e.event, e.case_id, e.entity) for e in rows]


def log_entry(
    db: Db,
    *,
    question: str,
    advice: str,
    on: date,
    case_id: int | None = None,
    assessment_id: int | None = None,
) -> int:
    with db.uow() as uow:
        return log_caldicott_advice(
            uow=uow,
            actor="ig.team",
            on=on,
            entry=CaldicottEntry(
                question=question,
                adviser="Synthetic Adviser",
                adviser_role=AdviserRole.IG_TEAM,
                advice=advice,
                decision="Recorded for the Prevent lead.",
                case_id=case_id,
                assessment_id=assessment_id,
            ),
        )


def test_the_lead_reads_the_advice_on_the_case_page_naming_the_assessment_it_answers(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.reads")
    adviser = as_role(Role.IG_ADVISER, "adviser.writes")
    db = lead.db
    case_id = open_case(db)
    assessment_id = assess_case(db, case_id, ig_advice=AWAITED)
    before = lead.client.get(f"/cases/{case_id}")
    assert before.status_code == 200
    assert "<h2>IG advice</h2>" in before.text
    assert "Nothing in the Caldicott log for this case yet." in before.text

    answered = adviser.post_form(
        f"/advice/{assessment_id}",
        {
            "supports": "no",
            "adviser_role": "dpo",
            "adviser": "Synthetic Protection Officer",
            "advice": "Do not share the mental health history: the request gives no reason for it.",
        },
    )
    assert answered.status_code == 303

    page = lead.client.get(f"/cases/{case_id}")
    assert "Nothing in the Caldicott log for this case yet." not in page.text
    section = page.text[page.text.index("<h2>IG advice</h2>") : page.text.index("<h2>Partner requests</h2>")]
    assert f"On assessment {assessment_id}</strong>" in section
    assert "from Synthetic Protection Officer (Data Protection Officer)" in section
    assert "Do not share the mental health history: the request gives no reason for it." in section
    assert "does not support sharing" in section  # the decision the log recorded
    with db.uow() as uow:
        detail = view_case(uow=uow, actor="lead.reads", case_id=case_id, role=Role.PREVENT_LEAD)
    assert [(a.assessment_id, a.adviser, a.adviser_role) for a in detail.ig_advice] == [
        (assessment_id, "Synthetic Protection Officer", "dpo")
    ]


def test_the_case_page_shows_each_assessments_reasoning_and_the_leads_reason_for_departing(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.reasons")
    db = lead.db
    case_id = open_case(db)
    followed = assess_case(db, case_id, grounds={"rationale": "Risk to others is current and specific."})
    departed = assess_case(
        db,
        case_id,
        decision=LeadDecision.DEPART,
        reason="The panel met yesterday; the information is no longer needed.",
        grounds={"rationale": "Asked for before the panel."},
    )

    page = lead.client.get(f"/cases/{case_id}").text
    items = {int(n): text for n, text in re.findall(r"<li>Assessment (\d+):(.*?)</li>", page, flags=re.S)}
    assert "Reasoning: Risk to others is current and specific." in items[followed]
    assert "The lead's reason" not in items[followed]
    assert "Reasoning: Asked for before the panel." in items[departed]
    assert (
        "The lead's reason: The panel met yesterday; the information is no longer needed." in items[departed]
    )


def test_the_caldicott_log_lists_every_entry_newest_first_and_reading_it_is_audited_on_each_case(
    as_role,
) -> None:  # type: ignore[no-untyped-def]
    auditor = as_role(Role.AUDITOR, "auditor.log")
    db = auditor.db
    case_a, case_b = open_case(db), open_case(db)
    today = TODAY
    log_entry(
        db,
        question="May we share the GP summary?",
        advice="Yes, minimised.",
        on=today - timedelta(days=3),
        case_id=case_a,
    )
    log_entry(
        db, question="Should our DSA with the council cover Prevent?", advice="Yes: renew it.", on=today
    )
    # Logged last but dated earliest (the CLI can back-date an entry): the date orders the log.
    log_entry(
        db,
        question="May we tell the school?",
        advice="Only the referral.",
        on=today - timedelta(days=9),
        case_id=case_b,
    )

    page = auditor.client.get("/registers/caldicott")

    assert page.status_code == 200
    assert "3 entries" in page.text
    questions = [
        "Should our DSA with the council cover Prevent?",
        "May we share the GP summary?",
        "May we tell the school?",
    ]
    assert [page.text.index(q) for q in questions] == sorted(page.text.index(q) for q in questions)
    assert "Yes, minimised." in page.text and "Information governance team" in page.text
    assert f"Case {case_a}" in page.text
    assert f'href="/cases/{case_a}"' not in page.text  # an auditor may not open cases
    events = audit_events(db)
    assert ("auditor.log", "governance:caldicott:list", None, "caldicott:log:page:1") in events
    for case_id in (case_a, case_b):  # each case's own trail shows the advice about it was read
        assert ("auditor.log", "governance:caldicott:view", case_id, "caldicott:log") in events


def test_the_log_is_read_a_page_at_a_time_and_only_the_cases_a_page_shows_are_audited(as_role) -> None:  # type: ignore[no-untyped-def]
    siro = as_role(Role.SIRO, "siro.log")
    db = siro.db
    oldest_case, newer_case = open_case(db), open_case(db)
    log_entry(
        db, question="The oldest question", advice="x", on=TODAY - timedelta(days=60), case_id=oldest_case
    )
    for n in range(PAGE_SIZE):
        log_entry(
            db, question=f"Question {n}", advice="x", on=TODAY - timedelta(days=n % 30), case_id=newer_case
        )

    first = siro.client.get("/registers/caldicott")

    assert first.status_code == 200
    assert f"Entries 1 to {PAGE_SIZE} of {PAGE_SIZE + 1}" in first.text
    assert "The oldest question" not in first.text
    assert 'href="/registers/caldicott?page=2"' in first.text and "Older entries" in first.text
    assert "Newer entries" not in first.text
    viewed = {c for _, e, c, _ in audit_events(db) if e == "governance:caldicott:view"}
    assert viewed == {newer_case}  # the oldest case's entry was not shown, so not read

    second = siro.client.get("/registers/caldicott?page=2")

    assert second.status_code == 200
    assert f"Entries {PAGE_SIZE + 1} to {PAGE_SIZE + 1} of {PAGE_SIZE + 1}" in second.text
    assert "The oldest question" in second.text and "Question 0" not in second.text
    assert 'href="/registers/caldicott?page=1"' in second.text and "Older entries" not in second.text
    assert oldest_case in {c for _, e, c, _ in audit_events(db) if e == "governance:caldicott:view"}
    for bad in ("3", "0", "two", "1e3", "9999999"):
        before = len(audit_events(db))
        refused = siro.client.get(f"/registers/caldicott?page={bad}")
        assert refused.status_code == 400, bad
        assert "There is no such page of the Caldicott log" in refused.text
        assert len(audit_events(db)) == before, bad  # nothing was read


def test_a_practitioner_sees_neither_the_reasoning_nor_the_advice_on_the_concern_they_raised(as_role) -> None:  # type: ignore[no-untyped-def]
    practitioner = as_role(Role.PRACTITIONER, "clinician.a")  # who raises open_case's concerns
    db = practitioner.db
    case_id = open_case(db)
    assessment_id = assess_case(
        db,
        case_id,
        decision=LeadDecision.DEPART,
        reason="Synthetic departure reason.",
        grounds={"rationale": "Synthetic reasoning."},
        ig_advice=AWAITED,
    )
    with db.uow() as uow:  # the adviser answers from the queue: a log entry and a note on the timeline
        record_advice(
            uow=uow,
            actor="adviser.a",
            assessment_id=assessment_id,
            advice=Advice(
                adviser="Synthetic DPO",
                adviser_role=AdviserRole.DPO,
                supports_sharing=False,
                advice="Synthetic advice.",
            ),
            on=TODAY,
        )

    page = practitioner.client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert f"Assessment {assessment_id}:" in page.text  # the decision itself is shown
    for hidden in (
        "Synthetic reasoning.",
        "Synthetic departure reason.",
        "Synthetic advice.",
        "<h2>IG advice</h2>",
        "does not support sharing",  # the timeline's note of the advice
    ):
        assert hidden not in page.text, hidden
    with db.uow() as uow:
        seen = view_case(uow=uow, actor="clinician.a", case_id=case_id, role=Role.PRACTITIONER)
        whole = view_case(uow=uow, actor="lead", case_id=case_id, role=Role.PREVENT_LEAD)
    assert (seen.ig_advice, seen.assessments[0].rationale, seen.assessments[0].lead_reason) == (
        [],
        None,
        None,
    )
    assert (whole.assessments[0].rationale, whole.assessments[0].lead_reason) == (
        "Synthetic reasoning.",
        "Synthetic departure reason.",
    )
    assert [entry.advice for entry in whole.ig_advice] == ["Synthetic advice."]
    assert [e.kind for e in whole.timeline if e.kind not in {e.kind for e in seen.timeline}] == ["ig_advice"]


def test_an_entry_is_linked_to_the_assessment_it_names_in_its_column_and_only_to_its_cases_own(
    db: Db,
) -> None:
    case_id, other = open_case(db), open_case(db)
    mine = assess_case(db, case_id)
    theirs = assess_case(db, other)
    log_entry(db, question="May we share?", advice="Linked.", on=TODAY, case_id=case_id, assessment_id=mine)
    # Words alone link nothing: the question is for people to read.
    log_entry(db, question=f"Assessment {mine}: may we share?", advice="Unlinked.", on=TODAY, case_id=case_id)
    with db.uow() as uow:
        before = uow.session.scalar(select(func.count()).select_from(CaldicottLogRow))
    for case, assessment in ((case_id, theirs), (None, mine), (case_id, mine + theirs + 100)):
        with pytest.raises(InvalidFieldError, match="is not an assessment of case"), db.uow() as uow:
            log_caldicott_advice(
                uow=uow,
                actor="ig.team",
                on=TODAY,
                entry=CaldicottEntry(
                    question="Q",
                    adviser="A",
                    adviser_role=AdviserRole.IG_TEAM,
                    advice="x",
                    decision="y",
                    case_id=case,
                    assessment_id=assessment,
                ),
            )
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CaldicottLogRow)) == before
        detail = view_case(uow=uow, actor="lead", case_id=case_id, role=Role.PREVENT_LEAD)
    assert [(entry.advice, entry.assessment_id) for entry in detail.ig_advice] == [
        ("Linked.", mine),
        ("Unlinked.", None),
    ]


def test_the_lead_follows_an_entry_to_its_case_and_an_administrator_cannot_read_the_log(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.log")
    admin = as_role(Role.ADMINISTRATOR, "admin.log")
    db = lead.db
    case_id = open_case(db)
    log_entry(db, question="May we share?", advice="Yes.", on=TODAY, case_id=case_id)

    assert f'href="/cases/{case_id}">Case {case_id}</a>' in lead.client.get("/registers/caldicott").text
    assert 'href="/registers/caldicott"' in lead.client.get("/registers").text
    refused = admin.client.get("/registers/caldicott")
    assert refused.status_code == 403
    assert "May we share?" not in refused.text
    assert 'href="/registers/caldicott"' not in admin.client.get("/registers").text
