"""Journey 7 over HTTP: the IG adviser's queue and recording advice in the Caldicott log."""

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from prevent_ig.adapters.records.tables import (
    AuditEventRow,
    CaldicottLogRow,
    CaseEventRow,
    NotificationRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import AdviserRole
from prevent_ig.services.advice import Advice, advice_queue, record_advice
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.governance import CaldicottEntry, log_caldicott_advice
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, open_case

AWAITED = {"adviser_role": "caldicott_guardian", "supports_sharing": None}


def awaiting(db: Db, case_id: int, **overrides: object) -> int:
    return assess_case(db, case_id, ig_advice=AWAITED, **overrides)  # type: ignore[arg-type]


def events(db: Db) -> list[tuple[str, int | None, str | None]]:
    with db.uow() as uow:
        return [(e.event, e.case_id, e.entity) for e in uow.session.scalars(select(AuditEventRow))]


def test_the_queue_holds_current_decisions_awaiting_advice_newest_first_without_names(as_role) -> None:  # type: ignore[no-untyped-def]
    adviser = as_role(Role.IG_ADVISER, "adviser.one")
    db = adviser.db
    case_a, case_b = open_case(db), open_case(db, given_name="Robin", family_name="Samplename")
    older = awaiting(db, case_a)
    newer = awaiting(db, case_b)
    # Another question on case A (another recipient), asked twice: the second answer replaces the first.
    council = {"name": "Synthetic Council Prevent Team", "email": "prevent@synthetic-council.gov.uk"}
    superseded = awaiting(db, case_a, recipient=council)
    awaiting(db, case_a, recipient=council)  # the newest of all, and current
    # Other questions on case B (other recipients): one sought no advice, one has its answer.
    assess_case(
        db, case_b, recipient={"name": "Synthetic School", "email": "safeguarding@synthetic-school.sch.uk"}
    )
    assess_case(
        db,
        case_b,
        recipient={"name": "Synthetic Charity", "email": "help@synthetic-charity.org.uk"},
        ig_advice={"adviser_role": "dpo", "supports_sharing": True},
    )

    page = adviser.client.get("/advice")

    assert page.status_code == 200
    shown = [int(n) for n in re.findall(r'href="/advice/(\d+)"', page.text)]
    assert shown == [superseded + 1, newer, older]
    assert "Alex" not in page.text and "Testperson" not in page.text and "Samplename" not in page.text
    assert "Synthetic Street" not in page.text
    assert (
        f"Assessment {older} (case {case_a}, prevent referral): may we share Name and date of birth"
        in page.text
    )
    read = events(db)[-4:]  # what reading the queue recorded: the queue, then each decision shown
    assert read == [
        ("governance:advice:list", None, None),
        ("governance:advice:view", case_a, f"assessment:{superseded + 1}"),
        ("governance:advice:view", case_b, f"assessment:{newer}"),
        ("governance:advice:view", case_a, f"assessment:{older}"),
    ]


def test_recording_advice_logs_it_tells_the_lead_and_empties_the_queue(as_role) -> None:  # type: ignore[no-untyped-def]
    adviser = as_role(Role.IG_ADVISER, "adviser.two")
    db = adviser.db
    case_id = open_case(db)
    assessment_id = awaiting(db, case_id)
    form = adviser.client.get(f"/advice/{assessment_id}")
    assert form.status_code == 200
    assert "Alex" not in form.text and "Testperson" not in form.text
    assert "Northshire Police Prevent Team" in form.text
    assert 'value="caldicott_guardian" checked' in form.text  # whom the lead asked
    assert ("governance:advice:view", case_id, f"assessment:{assessment_id}") in events(db)

    blank = adviser.post_form(f"/advice/{assessment_id}", {"adviser": "", "adviser_role": "dpo"})
    assert blank.status_code == 400
    assert "There is a problem" in blank.text
    summary = blank.text.index("nhsuk-error-summary")
    order = [blank.text.index(m, summary) for m in ('href="#supports"', 'href="#adviser"', 'href="#advice"')]
    assert order == sorted(order)  # the summary follows the form's order
    assert 'id="supports-error"' in blank.text and 'id="advice-error"' in blank.text
    assert "Select whether you support sharing" in blank.text
    assert blank.text.startswith("<!DOCTYPE html>") and "<title>Error: " in blank.text

    done = adviser.post_form(
        f"/advice/{assessment_id}",
        {
            "supports": "yes",
            "adviser_role": "caldicott_guardian",
            "adviser": "Synthetic Guardian",
            "advice": "Share the listed items under DPA 2018 Sch 1 para 10.",
        },
    )

    assert done.status_code == 303
    assert done.headers["location"] == f"/advice?recorded={assessment_id}"
    queue = adviser.client.get(done.headers["location"])
    assert f"Your advice on assessment {assessment_id} is in the Caldicott log" in queue.text
    assert f'href="/advice/{assessment_id}"' not in queue.text
    with db.uow() as uow:
        entry = uow.session.scalars(select(CaldicottLogRow)).one()
        assert entry.case_id == case_id
        assert (entry.assessment_id, entry.answers) == (assessment_id, True)
        assert entry.question.startswith(f"Assessment {assessment_id} ")  # readable printed on its own
        assert (entry.adviser, entry.adviser_role, entry.logged_on) == (
            "Synthetic Guardian",
            "caldicott_guardian",
            TODAY,
        )
        entry_id = entry.id
        assert entry.decision.startswith("The Caldicott guardian supports sharing")
        note = uow.session.scalars(select(NotificationRow)).all()[-1]
        assert (note.recipient_role, note.case_id) == ("prevent_lead", case_id)
        assert f"assessment {assessment_id}" in note.message
        timeline = uow.session.scalars(select(CaseEventRow).where(CaseEventRow.kind == "ig_advice")).one()
        assert "supports sharing" in timeline.summary
    assert ("governance:caldicott:create", case_id, f"caldicott:{entry_id}") in events(db)

    again = adviser.client.get(f"/advice/{assessment_id}")
    assert again.status_code == 409
    assert "no longer needs advice" in again.text


def test_the_adviser_sees_the_facts_consent_turns_on_but_not_who_the_person_is(as_role) -> None:  # type: ignore[no-untyped-def]
    # Structured facts only: the lead's free text may name the person, so it stays with the lead.
    adviser = as_role(Role.IG_ADVISER, "adviser.facts")
    case_id = open_case(adviser.db)
    assessment_id = awaiting(adviser.db, case_id, grounds={"rationale": "Synthetic reasoning for the lead."})

    text = " ".join(adviser.client.get(f"/advice/{assessment_id}").text.split())

    assert "18 or over; can decide about sharing" in text
    assert "Given, by the person themselves" in text
    assert "Synthetic reasoning for the lead." not in text
    assert "Alex" not in text and "Testperson" not in text and "17 May 1990" not in text


def test_an_adviser_reaches_only_decisions_that_wait_for_advice(as_role) -> None:  # type: ignore[no-untyped-def]
    adviser = as_role(Role.IG_ADVISER, "adviser.three")
    case_id = open_case(adviser.db)
    no_advice = assess_case(adviser.db, case_id)
    assert adviser.client.get(f"/advice/{no_advice}").status_code == 404
    assert adviser.client.get("/advice/999999").status_code == 404
    superseded = awaiting(adviser.db, case_id)
    awaiting(adviser.db, case_id, supersedes_id=superseded)
    assert adviser.client.get(f"/advice/{superseded}").status_code == 409


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.PREVENT_LEAD, Role.SIRO, Role.AUDITOR])
def test_only_ig_advisers_see_the_queue(as_role, role: Role) -> None:  # type: ignore[no-untyped-def]
    assert as_role(role).client.get("/advice").status_code == 403


def test_advice_is_recorded_once_and_needs_every_part(db: Db) -> None:
    case_id = open_case(db)
    assessment_id = awaiting(db, case_id)
    advice = Advice(adviser="A", adviser_role=AdviserRole.DPO, supports_sharing=False, advice="Do not share.")
    with pytest.raises(InvalidFieldError, match="advice"), db.uow() as uow:
        record_advice(
            uow=uow,
            actor="adviser.a",
            assessment_id=assessment_id,
            on=TODAY,
            advice=Advice(adviser="A", adviser_role=AdviserRole.DPO, supports_sharing=True, advice=" "),
        )
    with db.uow() as uow:
        record_advice(uow=uow, actor="adviser.a", assessment_id=assessment_id, on=TODAY, advice=advice)
    with pytest.raises(RefusedError, match="already in the Caldicott log"), db.uow() as uow:
        record_advice(uow=uow, actor="adviser.a", assessment_id=assessment_id, on=TODAY, advice=advice)
    with pytest.raises(NotFoundError), db.uow() as uow:
        record_advice(uow=uow, actor="adviser.a", assessment_id=assessment_id + 100, on=TODAY, advice=advice)


def _answer(case_id: int | None, assessment_id: int | None, question: str = "Q") -> CaldicottEntry:
    return CaldicottEntry(
        question=question,
        adviser="A",
        adviser_role=AdviserRole.IG_TEAM,
        advice="x",
        decision="y",
        case_id=case_id,
        assessment_id=assessment_id,
        answers=True,
    )


def test_only_an_answer_naming_an_assessment_of_its_own_case_takes_it_out_of_the_queue(db: Db) -> None:
    case_a, case_b = open_case(db), open_case(db)
    assessment_id = awaiting(db, case_a)
    with db.uow() as uow:  # the words of a question on another case take nothing out of the queue
        log_caldicott_advice(
            uow=uow,
            actor="adviser.a",
            on=TODAY,
            entry=replace(
                _answer(case_b, None, f"Assessment {assessment_id}: another case's"), answers=False
            ),
        )
    for wrong in (_answer(case_b, assessment_id), _answer(case_a, None)):
        with pytest.raises(InvalidFieldError, match="assessment_id"), db.uow() as uow:
            log_caldicott_advice(uow=uow, actor="adviser.a", on=TODAY, entry=wrong)
    with db.uow() as uow:
        assert [r.assessment_id for r in advice_queue(uow=uow, actor="adviser.a")] == [assessment_id]


def test_the_database_itself_refuses_a_second_answer_to_one_assessment(db: Db) -> None:
    """What two advisers answering at once would meet: the second write, past every earlier check,
    is refused by the unique index and leaves nothing."""
    case_id = open_case(db)
    assessment_id = awaiting(db, case_id)
    with db.uow() as uow:
        log_caldicott_advice(uow=uow, actor="adviser.a", on=TODAY, entry=_answer(case_id, assessment_id))
    with pytest.raises(RefusedError, match="already in the Caldicott log"), db.uow() as uow:
        log_caldicott_advice(uow=uow, actor="adviser.b", on=TODAY, entry=_answer(case_id, assessment_id))
    with db.uow() as uow:
        rows = uow.session.scalars(select(CaldicottLogRow)).all()
        assert [(r.assessment_id, r.answers) for r in rows] == [(assessment_id, True)]
        assert advice_queue(uow=uow, actor="adviser.a") == []
    with db.uow() as uow:  # a further entry about it that is not an answer is still welcome
        log_caldicott_advice(
            uow=uow, actor="ig.a", on=TODAY, entry=replace(_answer(case_id, assessment_id), answers=False)
        )


def test_odd_ids_and_query_values_are_refused_cleanly(as_role) -> None:  # type: ignore[no-untyped-def]
    adviser = as_role(Role.IG_ADVISER, "adviser.four")
    assert adviser.client.get("/advice/99999999999").status_code == 422
    assert adviser.client.get("/advice/0").status_code == 422
    assert adviser.client.get("/advice", params={"recorded": "²"}).status_code == 200


def test_a_notice_number_no_assessment_can_have_is_ignored_not_a_server_error(as_role) -> None:  # type: ignore[no-untyped-def]
    # "?recorded=N" only chooses a notice; 5,000 digits are past what int() reads: a 500.
    adviser = as_role(Role.IG_ADVISER, "adviser.notice")

    page = adviser.client.get("/advice", params={"recorded": "9" * 5000})

    assert page.status_code == 200
