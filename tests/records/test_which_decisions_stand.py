"""Which of a case's decisions are its word now, as the pathway's guards, the IG advice and the case page
read them. A decision replaced by a later one on the same question, a decision on another question or
purpose, and advice given on another decision must not stand in for the one that counts: each would let
a case be referred, closed or shown on a decision that does not say so (decision rules steps 7 and 9;
guidance §2 and §6). Found by mutation testing (services/authority.py), where these filters could be
dropped without any test noticing."""

from datetime import timedelta

import pytest

from prevent_ig.adapters.records.tables import AssessmentRow
from prevent_ig.adapters.records.unit_of_work import UnitOfWork
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.assessments import LeadDecision
from prevent_ig.services.authority import lapsed_decisions, why_not_authorised
from prevent_ig.services.consents import withdraw_consent
from prevent_ig.services.errors import InvalidFieldError, RefusedError
from prevent_ig.services.pathway import advance_case
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import advice_recorded, assess_case, open_case, sharing_consent

WESTSHIRE = {
    "name": "Westshire Police Prevent Team",
    "type": "police",
    "competent_authority": True,
    "email": "prevent@westshire.pnn.police.uk",
    "dsa_in_place": True,
}
COUNCIL = {
    "name": "Northshire Council Community Safety",
    "type": "local_authority",
    "competent_authority": False,
    "email": "safety@northshire.gov.uk",
    "dsa_in_place": True,
}


def assessment_row(uow: UnitOfWork, assessment_id: int) -> AssessmentRow:
    row = uow.session.get(AssessmentRow, assessment_id)
    assert row is not None
    return row


def advance(db: Db, case_id: int, move: Move, *, on: object = TODAY) -> None:
    with db.uow() as uow:
        advance_case(uow=uow, actor="lead.a", case_id=case_id, move=move, on=on, calendar=db.config.calendar)  # type: ignore[arg-type]


def test_a_decision_for_another_purpose_does_not_let_the_case_be_referred(db: Db) -> None:
    # A followed "share" for a crime-prevention disclosure to the police answers another question than
    # whether to refer to Prevent: the referral move needs a decision on that (step 9's records, §6).
    case_id = open_case(db)
    disclosure = assess_case(db, case_id, kind="disclosure", purpose="crime_prevention")
    with db.uow() as uow:
        assert why_not_authorised(uow, assessment_row(uow, disclosure)) is None  # it does authorise its own
    with pytest.raises(RefusedError, match="prevent_referral"):
        advance(db, case_id, Move.REFER)


def test_closing_without_referral_is_dated_from_the_standing_decision_not_the_one_it_replaced(db: Db) -> None:
    # The lead first decided to refer, then replaced that with a decision not to. The case may close
    # without a referral from the day of the standing decision, not from the day of the replaced one.
    case_id = open_case(db, on=TODAY - timedelta(days=30))
    first = assess_case(db, case_id, on=TODAY - timedelta(days=10))
    standing = assess_case(
        db,
        case_id,
        on=TODAY - timedelta(days=3),
        supersedes_id=first,
        decision=LeadDecision.DEPART,
        reason="Synthetic: on reflection, no referral is needed",
    )
    with pytest.raises(InvalidFieldError, match=f"assessment {standing}"):
        advance(db, case_id, Move.CLOSE_WITHOUT_REFERRAL, on=TODAY - timedelta(days=5))
    advance(db, case_id, Move.CLOSE_WITHOUT_REFERRAL, on=TODAY - timedelta(days=3))


def test_advice_against_one_decision_does_not_stop_another_awaiting_advice(db: Db) -> None:
    # Step 7 stops the decision the adviser answered; a decision on another question (here, another
    # force) waits for its own answer and still authorises meanwhile.
    case_id = open_case(db)
    awaited = {"adviser_role": "caldicott_guardian", "supports_sharing": None}
    answered = assess_case(db, case_id, ig_advice=awaited)
    other = assess_case(db, case_id, ig_advice=awaited, recipient=WESTSHIRE)
    advice_recorded(db, answered, supports=False)
    with db.uow() as uow:
        assert "does not support sharing" in (why_not_authorised(uow, assessment_row(uow, answered)) or "")
        assert why_not_authorised(uow, assessment_row(uow, other)) is None


def test_the_case_page_names_only_its_own_standing_followed_share_decisions_that_lapsed(db: Db) -> None:
    # "No longer authorises sharing" is said of a decision that did authorise it: not of one replaced
    # (the page says so otherwise), not of a "do not share", not of a share the lead departed from,
    # and not of another case's.
    case_id = open_case(db)
    consent = sharing_consent(db, case_id)
    replaced = assess_case(db, case_id)
    lapsed = assess_case(db, case_id, supersedes_id=replaced)
    refused = assess_case(db, case_id, kind="disclosure", purpose="crime_prevention", recipient=COUNCIL)
    departed = assess_case(
        db, case_id, recipient=WESTSHIRE, decision=LeadDecision.DEPART, reason="Synthetic: not now"
    )
    other_case = open_case(db)
    other_consent = sharing_consent(db, other_case)
    assess_case(db, other_case)
    with db.uow() as uow:
        for case, consent_id in ((case_id, consent), (other_case, other_consent)):
            withdraw_consent(uow=uow, actor="lead.a", case_id=case, consent_id=consent_id, on=TODAY)
        uow.commit()
    with db.uow() as uow:
        for never_authorised in (refused, departed):
            assert why_not_authorised(uow, assessment_row(uow, never_authorised)) is not None
        shown = lapsed_decisions(uow, case_id)
    assert set(shown) == {lapsed}
    assert "consent record now says" in shown[lapsed]
