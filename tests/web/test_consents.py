"""Consent over HTTP: the lead records it on the case page, and records its withdrawal there too.

Without this the pathway could not move on: a support plan needs consent to Channel support
(CTSA 2015 s36(4)(b)), and the page that refuses the move must offer a way to record it.
"""

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from prevent_ig.adapters.records.tables import AuditEventRow, ConsentRow, DisclosureRow, table_of
from prevent_ig.domain.access import Role
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.entrypoints.web.routes.consents import ORDER, _href
from prevent_ig.services.cases import view_case
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import assess_case, disclose, open_case, walk_to_panel

GIVEN_BY_THE_PERSON = {
    "status": "given",
    "given_by": "subject",
    "sought_on[day]": "2",
    "sought_on[month]": "11",
    "sought_on[year]": "2026",
    "sought_by": "Synthetic Lead",
    "has_capacity": "yes",
}


def version_of(db: Db, case_id: int) -> int:
    with db.uow() as uow:
        return view_case(uow=uow, actor="test", case_id=case_id, role=None).version


def consents(db: Db) -> list[Any]:
    """The consent rows as plain rows (columns by name), readable after their transaction ends."""
    with db.uow() as uow:
        return list(uow.session.execute(select(*table_of(ConsentRow).c)))


def audit_events(db: Db) -> list[str]:
    with db.uow() as uow:
        return list(uow.session.scalars(select(AuditEventRow.event).order_by(AuditEventRow.seq)))


def test_consent_to_support_recorded_on_the_page_lets_the_support_plan_start(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.consent")
    db = lead.db
    case_id = open_case(db)
    walk_to_panel(db, case_id)
    refused = lead.post_form(
        f"/cases/{case_id}/move",
        {"move": Move.START_SUPPORT.value, "version": str(version_of(db, case_id))},
        form_page=f"/cases/{case_id}",
    )
    assert refused.status_code == 400
    assert "record consent to support first" in refused.text
    assert f'href="/cases/{case_id}/consents/new"' in refused.text  # the way to do it is on the page

    form = lead.client.get(f"/cases/{case_id}/consents/new?scope=channel_support")
    assert form.status_code == 200
    assert re.search(r'value="channel_support"[^>]*checked', form.text)
    saved = lead.post_form(
        f"/cases/{case_id}/consents/new", {"scope": "channel_support", **GIVEN_BY_THE_PERSON}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/cases/{case_id}?recorded=consent"

    [row] = consents(db)
    assert (row.scope, row.status, row.given_by, row.sought_on, row.sought_by, row.has_capacity) == (
        "channel_support",
        "given",
        "subject",
        date(2026, 11, 2),
        "Synthetic Lead",
        True,
    )
    assert "case:consent:create" in audit_events(db)
    page = lead.client.get(saved.headers["location"]).text
    assert "Consent to Channel support: <strong>agreed</strong>, by the person themselves." in page
    started = lead.post_form(
        f"/cases/{case_id}/move",
        {"move": Move.START_SUPPORT.value, "version": str(version_of(db, case_id))},
        form_page=f"/cases/{case_id}",
    )
    assert started.status_code == 303
    with db.uow() as uow:
        assert view_case(uow=uow, actor="test", case_id=case_id, role=None).stage == "support_plan"

    [consent] = consents(db)
    withdrawn = lead.post_form(
        f"/cases/{case_id}/consents/{consent.id}/withdraw", {}, form_page=f"/cases/{case_id}"
    )
    assert withdrawn.status_code == 303
    after = lead.client.get(withdrawn.headers["location"]).text
    assert "Channel support is voluntary: record below that the case leaves the pathway" in after


def test_an_incomplete_consent_form_names_each_problem_in_form_order_and_saves_nothing(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.incomplete")
    db = lead.db
    case_id = open_case(db)
    before = audit_events(db)

    empty = lead.post_form(f"/cases/{case_id}/consents/new", {}, form_page=f"/cases/{case_id}/consents/new")
    assert empty.status_code == 400
    summary = empty.text[empty.text.index("nhsuk-error-summary") :]
    order = [summary.index(f'href="#{field}"') for field in ("scope", "status", "has_capacity")]
    assert order == sorted(order)

    no_giver = lead.post_form(
        f"/cases/{case_id}/consents/new",
        {"scope": "sharing", **GIVEN_BY_THE_PERSON, "given_by": ""},
        form_page=f"/cases/{case_id}/consents/new",
    )
    assert no_giver.status_code == 400 and "Choose who agreed" in no_giver.text

    contradiction = lead.post_form(  # the service's own check, shown at its field
        f"/cases/{case_id}/consents/new",
        {
            "scope": "sharing",
            "status": "not_sought",
            "reason_not_sought": "lacks_capacity",
            "has_capacity": "yes",
        },
        form_page=f"/cases/{case_id}/consents/new",
    )
    assert contradiction.status_code == 400
    assert 'href="#reason_not_sought"' in contradiction.text and "contradicts" in contradiction.text

    two_digit_year = lead.post_form(
        f"/cases/{case_id}/consents/new",
        {"scope": "sharing", **GIVEN_BY_THE_PERSON, "sought_on[year]": "26"},
        form_page=f"/cases/{case_id}/consents/new",
    )
    assert two_digit_year.status_code == 400 and 'href="#sought_on-day"' in two_digit_year.text

    cannot_decide_alone = lead.post_form(  # the law's check, in the service, shown at "who agreed"
        f"/cases/{case_id}/consents/new",
        {"scope": "sharing", **GIVEN_BY_THE_PERSON, "has_capacity": "no"},
        form_page=f"/cases/{case_id}/consents/new",
    )
    assert cannot_decide_alone.status_code == 400
    assert (
        'href="#given_by"' in cannot_decide_alone.text
        and "must come from a legal representative" in cannot_decide_alone.text
    )

    assert consents(db) == []
    assert [e for e in audit_events(db)[len(before) :] if e != "case:record:view"] == []


def test_consent_from_a_legal_representative_of_an_adult_who_cannot_decide_is_recorded_as_such(
    as_role,
) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.capacity")
    db = lead.db
    case_id = open_case(db)
    saved = lead.post_form(
        f"/cases/{case_id}/consents/new",
        {
            "scope": "sharing",
            **GIVEN_BY_THE_PERSON,
            "given_by": "legal_representative",
            "has_capacity": "no",
            "capacity_assessed_by": "Synthetic Psychiatrist",
        },
    )
    assert saved.status_code == 303, saved.text
    [row] = consents(db)
    assert (row.given_by, row.has_capacity, row.capacity_assessed_by) == (
        "legal_representative",
        False,
        "Synthetic Psychiatrist",
    )
    page = lead.client.get(saved.headers["location"]).text
    assert "by a legal representative." in page and "Cannot decide about this themselves." in page


def test_withdrawing_consent_flags_the_disclosures_already_made_and_cannot_happen_twice(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.withdraws")
    db = lead.db
    case_id, other_case = open_case(db), open_case(db)
    assert (
        lead.post_form(
            f"/cases/{case_id}/consents/new", {"scope": "sharing", **GIVEN_BY_THE_PERSON}
        ).status_code
        == 303
    )
    decision = assess_case(db, case_id)
    disclosure_id = disclose(db, decision)
    [consent] = consents(db)

    elsewhere = lead.post_form(
        f"/cases/{other_case}/consents/{consent.id}/withdraw", {}, form_page=f"/cases/{case_id}"
    )
    assert elsewhere.status_code == 404
    withdrawn = lead.post_form(
        f"/cases/{case_id}/consents/{consent.id}/withdraw", {}, form_page=f"/cases/{case_id}"
    )
    assert withdrawn.status_code == 303
    page = lead.client.get(withdrawn.headers["location"]).text
    assert "1 earlier disclosure was flagged" in page
    assert f"Withdrawn on {TODAY.strftime('%-d %B %Y')}." in page
    assert f'action="/cases/{case_id}/consents/{consent.id}/withdraw"' not in page  # no second button
    with db.uow() as uow:
        assert uow.session.get(DisclosureRow, disclosure_id).consent_withdrawn_on == TODAY  # type: ignore[union-attr]
    again = lead.post_form(
        f"/cases/{case_id}/consents/{consent.id}/withdraw", {}, form_page=f"/cases/{case_id}"
    )
    assert again.status_code == 409
    assert "already withdrawn" in again.text


def test_leaving_the_pathway_needs_a_reason_named_at_its_own_question(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.exit")
    db = lead.db
    case_id = open_case(db)
    walk_to_panel(db, case_id)
    page = lead.client.get(f"/cases/{case_id}").text
    assert 'name="exit_reason"' in page and "If the case leaves the pathway, why?" in page
    move = {"move": Move.EXIT.value, "version": str(version_of(db, case_id))}
    no_reason = lead.post_form(f"/cases/{case_id}/move", move, form_page=f"/cases/{case_id}")
    assert no_reason.status_code == 400
    assert (
        'href="#exit_reason"' in no_reason.text
        and "Choose why the case is leaving the pathway" in no_reason.text
    )
    left = lead.post_form(
        f"/cases/{case_id}/move", {**move, "exit_reason": "non_consent"}, form_page=f"/cases/{case_id}"
    )
    assert left.status_code == 303
    with db.uow() as uow:
        assert view_case(uow=uow, actor="test", case_id=case_id, role=None).exit_reason == "non_consent"


def test_a_too_long_capacity_assessor_is_named_at_its_own_question_not_at_did_they_agree(as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.assessor")
    db = lead.db
    case_id = open_case(db)
    too_long = lead.post_form(
        f"/cases/{case_id}/consents/new",
        {"scope": "sharing", **GIVEN_BY_THE_PERSON, "capacity_assessed_by": "A" * 201},
        form_page=f"/cases/{case_id}/consents/new",
    )
    assert too_long.status_code == 400
    summary = too_long.text[too_long.text.index("nhsuk-error-summary") : too_long.text.index("<form")]
    assert re.findall(r'href="(#[^"]+)"', summary) == ["#capacity_assessed_by"]
    assert "Must be at most 200 characters" in summary
    # The message also sits at the question itself, where the summary's link leads.
    at_question = re.search(
        r'id="capacity_assessed_by-error">\s*<span[^>]*>Error: </span>([^<]*)', too_long.text
    )
    assert at_question and at_question.group(1).strip() == "Must be at most 200 characters"
    assert consents(db) == []


def test_every_question_on_the_consent_form_has_a_place_in_the_error_summary(as_role) -> None:  # type: ignore[no-untyped-def]
    """A question missing from ORDER has its errors shown at "Did they agree?" instead."""
    lead = as_role(Role.PREVENT_LEAD, "lead.order")
    case_id = open_case(lead.db)
    page = lead.client.get(f"/cases/{case_id}/consents/new").text
    start = page.index(f'action="/cases/{case_id}/consents/new"')
    form = page[start : page.index("</form>", start)]
    posted = {re.sub(r"\[.*\]$", "", name) for name in re.findall(r'name="([^"]+)"', form)}
    assert posted - {"csrf_token"} == set(ORDER)
    for field in ORDER:
        assert f'id="{_href(field)[1:]}"' in form, field


def test_best_interests_reasoning_is_on_the_case_page_for_a_lead_but_not_the_practitioner_who_raised_it(
    as_role,
) -> None:  # type: ignore[no-untyped-def]
    lead = as_role(Role.PREVENT_LEAD, "lead.best.interests")
    practitioner = as_role(Role.PRACTITIONER, "clinician.a")  # who raises open_case's concerns
    db = lead.db
    case_id = open_case(db)
    saved = lead.post_form(
        f"/cases/{case_id}/consents/new",
        {
            "scope": "sharing",
            "status": "not_sought",
            "reason_not_sought": "lacks_capacity",
            "has_capacity": "no",
            "best_interests_decision": "Synthetic best interests reasoning.",
            "best_interests_consulted": "Synthetic consultee.",
        },
    )
    assert saved.status_code == 303, saved.text

    shown = lead.client.get(f"/cases/{case_id}").text
    assert (
        "Best interests decision: Synthetic best interests reasoning. (consulted: Synthetic consultee.)."
        in shown
    )
    page = practitioner.client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "Cannot decide about this themselves." in page.text  # what was recorded is still shown
    for hidden in ("Best interests decision", "Synthetic best interests reasoning.", "Synthetic consultee."):
        assert hidden not in page.text, hidden
