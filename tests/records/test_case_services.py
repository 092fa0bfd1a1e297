"""Use cases over the records: each is one transaction, audited, and refuses what the rules refuse."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.records.audit_log import AuditLog
from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    AuditEventRow,
    CaseRow,
    ConsentRow,
    DisclosureRow,
    PartnerRequestRow,
    SubjectRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.domain.law.vocabulary import ConsentGiver, ConsentStatus
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.domain.pathway.stages import ExitReason, Stage
from prevent_ig.services import audit as audit_service
from prevent_ig.services.assessments import AssessmentInputProblemsError, LeadDecision
from prevent_ig.services.cases import due_items, list_cases, raise_concern, view_case
from prevent_ig.services.consents import NewConsent, record_consent, withdraw_consent
from prevent_ig.services.disclosures import ReleasedItem, record_disclosure
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.pathway import advance_case
from prevent_ig.services.requests import (
    ask_for_clarification,
    clarification_received,
    mark_answered,
    row_clarifications,
)
from tests.builders import REQUEST_COMPLETE, item
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import (
    REQUESTOR,
    advice_recorded,
    assess_case,
    disclose,
    new_subject,
    open_case,
    partner_request,
    walk_to_panel,
)


def count(db: Db, table: type) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def events(db: Db) -> list[str]:
    with db.uow() as uow:
        return list(uow.session.scalars(select(AuditEventRow.event).order_by(AuditEventRow.seq)))


def advance(db: Db, case_id: int, move: Move, on: date = TODAY, **kw: object) -> None:
    with db.uow() as uow:
        advance_case(
            uow=uow, actor="lead.a", case_id=case_id, move=move, on=on, calendar=db.config.calendar, **kw
        )  # type: ignore[arg-type]


def test_raising_a_concern_records_subject_case_timeline_and_audit(db: Db) -> None:
    case_id = open_case(db)
    with db.uow() as uow:
        detail = view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert detail.stage == "concern_raised"
    assert detail.subject.nhs_number == "9990000018"
    assert detail.timeline[0].kind == "concern_raised"
    assert events(db) == ["case:subject:create", "case:record:create", "case:record:view"]


def test_audit_events_hold_ids_and_digests_never_personal_data(db: Db) -> None:
    case_id = open_case(db, given_name="Uniquegivenname", nhs_number="943 476 5919")
    with db.uow() as uow:
        rows = [(r.actor, r.event, r.entity, r.digest) for r in uow.session.scalars(select(AuditEventRow))]
    dumped = " ".join(" ".join(str(v) for v in row) for row in rows)
    assert "Uniquegivenname" not in dumped and "9434765919" not in dumped
    assert f"case:{case_id}" in dumped
    assert all(digest is None or len(digest) == 64 for *_, digest in rows)


def test_invalid_nhs_number_is_refused_and_nothing_is_written(db: Db) -> None:
    with pytest.raises(InvalidFieldError) as refused, db.uow() as uow:
        raise_concern(
            uow=uow,
            actor="c",
            subject=new_subject(nhs_number="943 476 5918"),
            concern="x",
            owner="lead.a",
            on=TODAY,
        )
    assert refused.value.field == "subject.nhs_number"
    assert (count(db, SubjectRow), count(db, CaseRow), count(db, AuditEventRow)) == (0, 0, 0)


def test_adult_at_risk_must_be_an_adult(db: Db) -> None:
    with pytest.raises(InvalidFieldError, match="18 or over"), db.uow() as uow:
        raise_concern(
            uow=uow,
            actor="c",
            subject=new_subject(date_of_birth=date(2010, 1, 1), adult_at_risk=True),
            concern="x",
            owner="lead.a",
            on=TODAY,
        )


def test_a_crash_half_way_through_a_use_case_leaves_nothing_behind(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """raise_concern writes a subject, a case, a timeline entry and two audit events: all or none."""
    real_record = AuditLog.record
    calls = []

    def crash_on_second(self: AuditLog, **kwargs: object) -> object:
        calls.append(kwargs["event"])
        if len(calls) == 2:
            raise RuntimeError("simulated crash between writes")
        return real_record(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AuditLog, "record", crash_on_second)
    with pytest.raises(RuntimeError, match="simulated crash"):
        open_case(db)
    monkeypatch.undo()
    assert calls == ["case:subject:create", "case:record:create"]
    assert (count(db, SubjectRow), count(db, CaseRow), count(db, AuditEventRow)) == (0, 0, 0)
    open_case(db)
    with db.uow() as uow:
        assert audit_service.verify(uow=uow).ok


def test_superseding_an_assessment_twice_is_refused_and_writes_nothing(db: Db) -> None:
    case_id = open_case(db)
    first = assess_case(db, case_id)
    assess_case(db, case_id, supersedes_id=first)
    before = (count(db, AssessmentRow), count(db, AuditEventRow))
    with pytest.raises(RefusedError, match="already been superseded"):
        assess_case(db, case_id, supersedes_id=first)
    assert (count(db, AssessmentRow), count(db, AuditEventRow)) == before


def test_referral_is_refused_until_a_followed_share_assessment_exists(db: Db) -> None:
    case_id = open_case(db)
    with pytest.raises(RefusedError, match="prevent_referral"):
        advance(db, case_id, Move.REFER)
    assess_case(db, case_id, decision=LeadDecision.DEPART, reason="Synthetic: I disagree.")
    with pytest.raises(RefusedError, match="prevent_referral"):
        advance(db, case_id, Move.REFER)
    assess_case(db, case_id)
    advance(db, case_id, Move.REFER)
    with db.uow() as uow:
        assert view_case(uow=uow, actor="x", case_id=case_id, role=Role.PREVENT_LEAD).stage == "referred"


def test_a_superseded_share_assessment_no_longer_authorises_referral(db: Db) -> None:
    case_id = open_case(db)
    first = assess_case(db, case_id)
    assess_case(
        db,
        case_id,
        supersedes_id=first,
        consent={"status": "refused", "given_by": None},
        grounds={"risk_of_harm_to_others": False},
    )
    with pytest.raises(RefusedError, match="prevent_referral"):
        advance(db, case_id, Move.REFER)


def test_invalid_assessment_input_names_each_field_and_writes_nothing(db: Db) -> None:
    case_id = open_case(db)
    before = count(db, AuditEventRow)
    with pytest.raises(AssessmentInputProblemsError) as problems:
        assess_case(db, case_id, subject={"age": 400}, kind="gossip")
    assert {p.field for p in problems.value.problems} == {"subject.age", "kind"}
    assert (count(db, AssessmentRow), count(db, AuditEventRow)) == (0, before)


def test_departing_from_the_engine_needs_a_reason(db: Db) -> None:
    case_id = open_case(db)
    with pytest.raises(InvalidFieldError, match="depart"):
        assess_case(db, case_id, decision=LeadDecision.DEPART)


def channel_consent(db: Db, case_id: int, giver: ConsentGiver) -> int:
    with db.uow() as uow:
        return record_consent(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            on=TODAY,
            consent=NewConsent(
                scope="channel_support",
                status=ConsentStatus.GIVEN,
                has_capacity=True,
                sought_by="lead.a",
                sought_on=TODAY,
                given_by=giver,
            ),
        )


def test_support_plan_needs_channel_consent_from_the_right_person(db: Db) -> None:
    child = open_case(db, date_of_birth=date(2011, 3, 1))
    walk_to_panel(db, child)
    with pytest.raises(RefusedError, match="CTSA2015"):
        advance(db, child, Move.START_SUPPORT)
    with pytest.raises(InvalidFieldError, match="parent or guardian") as refused:
        channel_consent(db, child, ConsentGiver.SUBJECT)  # a 15-year-old alone is not enough (s36)
    assert refused.value.field == "given_by"
    with pytest.raises(RefusedError, match="CTSA2015"):
        advance(db, child, Move.START_SUPPORT)
    channel_consent(db, child, ConsentGiver.PARENT_OR_GUARDIAN)
    advance(db, child, Move.START_SUPPORT)


def test_a_parents_consent_to_support_stops_counting_when_the_child_turns_18(db: Db) -> None:
    seventeen = open_case(db, date_of_birth=date(2009, 1, 10))  # 18 on 10 January 2027
    walk_to_panel(db, seventeen)
    channel_consent(db, seventeen, ConsentGiver.PARENT_OR_GUARDIAN)
    db.clock.move_to(date(2027, 1, 11))
    with pytest.raises(RefusedError, match="CTSA2015"):
        advance(db, seventeen, Move.START_SUPPORT, on=date(2027, 1, 11))
    advance(db, seventeen, Move.START_SUPPORT, on=date(2027, 1, 8))


@pytest.mark.parametrize(
    ("scope", "born", "giver", "capable", "allowed"),
    [
        ("sharing", date(1990, 5, 17), ConsentGiver.SUBJECT, True, True),
        ("sharing", date(1990, 5, 17), ConsentGiver.SUBJECT, False, False),
        ("sharing", date(1990, 5, 17), ConsentGiver.LEGAL_REPRESENTATIVE, False, True),
        ("sharing", date(1990, 5, 17), ConsentGiver.PARENT_OR_GUARDIAN, False, False),
        ("sharing", date(2016, 5, 17), ConsentGiver.PARENT_OR_GUARDIAN, False, True),
        ("sharing", date(2016, 5, 17), ConsentGiver.PARENT_OR_GUARDIAN, True, False),
        ("channel_support", date(2010, 5, 17), ConsentGiver.PARENT_OR_GUARDIAN, True, True),
        ("channel_support", date(2010, 5, 17), ConsentGiver.SUBJECT, True, False),
        ("channel_support", date(1990, 5, 17), ConsentGiver.LEGAL_REPRESENTATIVE, False, False),
        ("channel_support", date(1990, 5, 17), ConsentGiver.SUBJECT, True, True),
    ],
)
def test_consent_is_recorded_as_given_only_from_someone_who_could_give_it(
    db: Db, scope: str, born: date, giver: ConsentGiver, capable: bool, allowed: bool
) -> None:
    case_id = open_case(db, date_of_birth=born)
    consent = given_consent(scope=scope, given_by=giver, has_capacity=capable)
    with db.uow() as uow:
        if allowed:
            record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=consent)
        else:
            with pytest.raises(InvalidFieldError) as refused:
                record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=consent)
            assert refused.value.field == "given_by"
    with db.uow() as uow:
        assert len(uow.session.scalars(select(ConsentRow)).all()) == (1 if allowed else 0)


def test_withdrawn_channel_consent_no_longer_counts(db: Db) -> None:
    case_id = open_case(db)
    walk_to_panel(db, case_id)
    consent_id = channel_consent(db, case_id, ConsentGiver.SUBJECT)
    with db.uow() as uow:
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY)
    with pytest.raises(RefusedError, match="CTSA2015"):
        advance(db, case_id, Move.START_SUPPORT)


def test_exit_closes_with_reason_and_schedules_reviews_on_the_due_list(db: Db) -> None:
    case_id = open_case(db, on=date(2026, 5, 1))
    assess_case(db, case_id, on=date(2026, 5, 1))
    advance(db, case_id, Move.REFER, on=date(2026, 5, 4))
    advance(db, case_id, Move.START_SCREENING, on=date(2026, 5, 5))
    advance(db, case_id, Move.EXIT, on=date(2026, 5, 31), exit_reason=ExitReason.SIGNPOSTED)
    with db.uow() as uow:
        detail = view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert (detail.stage, detail.exit_reason) == ("closed", "signposted")
    assert (detail.review_6_due_on, detail.review_12_due_on) == (date(2026, 11, 30), date(2027, 5, 31))
    with db.uow() as uow:
        due = due_items(
            uow=uow, actor="lead.a", today=TODAY, within_working_days=10, calendar=db.config.calendar
        )
    assert [(d.kind, d.case_id, d.due_on, d.overdue) for d in due] == [
        ("review_6_months", case_id, date(2026, 11, 30), False)
    ]


def test_stale_version_is_refused_and_nothing_changes(db: Db) -> None:
    case_id = open_case(db)
    assess_case(db, case_id)
    with pytest.raises(RefusedError, match="changed since"), db.uow() as uow:
        advance_case(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            move=Move.REFER,
            on=TODAY,
            calendar=db.config.calendar,
            expected_version=7,
        )
    with db.uow() as uow:
        advance_case(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            move=Move.REFER,
            on=TODAY,
            calendar=db.config.calendar,
            expected_version=1,
        )


def test_partner_request_clock_clarification_and_answer(db: Db) -> None:
    db.clock.move_to(date(2027, 1, 6))
    case_id = open_case(db, on=date(2026, 12, 1))
    request_id = partner_request(db, case_id, date(2026, 12, 22))
    calendar = db.config.calendar
    with db.uow() as uow:
        due = due_items(
            uow=uow, actor="x", today=date(2026, 12, 22), within_working_days=10, calendar=calendar
        )
    assert [(d.kind, d.item_id, d.due_on) for d in due] == [
        ("partner_request", request_id, date(2026, 12, 31))
    ]
    with db.uow() as uow:
        ask_for_clarification(
            uow=uow,
            actor="lead.a",
            request_id=request_id,
            missing=["request_specific"],
            on=date(2026, 12, 23),
        )
    with db.uow() as uow:
        assert (
            due_items(uow=uow, actor="x", today=date(2026, 12, 23), within_working_days=10, calendar=calendar)
            == []
        )
    with db.uow() as uow:
        new_due = clarification_received(
            uow=uow, actor="lead.a", request_id=request_id, on=date(2027, 1, 4), calendar=calendar
        )
    assert new_due == date(2027, 1, 11)
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=date(2027, 1, 5))
    with db.uow() as uow:
        assert (
            due_items(uow=uow, actor="x", today=date(2027, 1, 5), within_working_days=10, calendar=calendar)
            == []
        )
    with pytest.raises(RefusedError, match="already answered"), db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=date(2027, 1, 6))


def test_disclosure_must_contain_exactly_the_released_items(db: Db) -> None:
    case_id = open_case(db)
    assessment_id = assess_case(db, case_id, items=[item("identity"), item("hobbies", relevant=False)])
    with pytest.raises(RefusedError, match="exactly the released items"), db.uow() as uow:
        record_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            method="secure_email",
            on=TODAY,
            items=[ReleasedItem(id="identity", content="x"), ReleasedItem(id="hobbies", content="y")],
        )
    with db.uow() as uow:
        disclosure_id = record_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=assessment_id,
            method="secure_email",
            on=TODAY,
            items=[ReleasedItem(id="identity", content="Synthetic snapshot")],
        )
    with db.uow() as uow:
        row = uow.session.get(DisclosureRow, disclosure_id)
        assert row is not None
        assert [i["id"] for i in row.items] == ["identity"]
        assert row.marking == "OFFICIAL-SENSITIVE"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (" \n", "give the content that is being released"),
        ("Synthetic \ud800", "is not valid Unicode text"),
        ("Synthetic \x00", "contains a NUL character"),
    ],
    ids=["blank", "lone-surrogate", "nul"],
)
def test_a_disclosure_whose_content_is_blank_or_cannot_be_stored_is_refused_naming_the_item(
    db: Db, content: str, says: str
) -> None:
    """Blank content was recorded as an empty disclosure, a lone surrogate was a UnicodeEncodeError
    from the audit digest, and NUL a database error on PostgreSQL; now each names the item."""
    case_id = open_case(db)
    decision = assess_case(db, case_id)
    with pytest.raises(InvalidFieldError, match=f"^items.demographics: {says}"), db.uow() as uow:
        record_disclosure(
            uow=uow,
            actor="lead.a",
            assessment_id=decision,
            method="secure_email",
            on=TODAY,
            items=[ReleasedItem(id="demographics", content=content)],
        )
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DisclosureRow)) == 0


def test_one_decision_is_disclosed_once(db: Db) -> None:
    case_id = open_case(db)
    decision = assess_case(db, case_id)
    released = [ReleasedItem(id="demographics", content="s")]
    with db.uow() as uow:
        first = record_disclosure(
            uow=uow, actor="lead.a", assessment_id=decision, method="secure_email", on=TODAY, items=released
        )
    with pytest.raises(RefusedError, match=f"already disclosed \\(disclosure {first}\\)"), db.uow() as uow:
        record_disclosure(
            uow=uow, actor="lead.a", assessment_id=decision, method="secure_email", on=TODAY, items=released
        )


def test_disclosure_is_refused_when_the_assessment_does_not_authorise_it(db: Db) -> None:
    case_id = open_case(db)
    refused = assess_case(
        db,
        case_id,
        consent={"status": "refused", "given_by": None},
        grounds={"risk_of_harm_to_others": False},
    )
    with pytest.raises(RefusedError, match="does not authorise"), db.uow() as uow:
        record_disclosure(
            uow=uow, actor="lead.a", assessment_id=refused, method="secure_email", on=TODAY, items=[]
        )
    with pytest.raises(NotFoundError), db.uow() as uow:
        record_disclosure(
            uow=uow, actor="lead.a", assessment_id=999, method="secure_email", on=TODAY, items=[]
        )


def test_withdrawn_sharing_consent_is_recorded_against_every_earlier_disclosure(db: Db) -> None:
    case_id = open_case(db)
    with db.uow() as uow:
        consent_id = record_consent(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            on=TODAY - timedelta(days=3),
            consent=NewConsent(
                scope="sharing",
                status=ConsentStatus.GIVEN,
                has_capacity=True,
                sought_by="lead.a",
                sought_on=TODAY - timedelta(days=3),
                given_by=ConsentGiver.SUBJECT,
            ),
        )
    ids = []
    for _ in range(2):
        decision = assess_case(db, case_id)
        with db.uow() as uow:
            ids.append(
                record_disclosure(
                    uow=uow,
                    actor="lead.a",
                    assessment_id=decision,
                    method="secure_email",
                    on=TODAY,
                    items=[ReleasedItem(id="demographics", content="s")],
                )
            )
    with db.uow() as uow:  # dated the day before the disclosures, recorded after them: all are flagged
        withdrawn = withdraw_consent(
            uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY - timedelta(days=1)
        )
    assert (withdrawn.scope, withdrawn.flagged_disclosures) == ("sharing", ids)
    assert events(db).count("case:disclosure:update") == 2
    with db.uow() as uow:
        assert {d.consent_withdrawn_on for d in uow.session.scalars(select(DisclosureRow))} == {
            TODAY - timedelta(days=1)
        }


def test_a_parents_consent_sought_at_17_is_refused_when_recorded_after_the_18th_birthday(db: Db) -> None:
    case_id = open_case(db, date_of_birth=TODAY.replace(year=TODAY.year - 18))  # 18 today
    sought_at_17 = given_consent(
        scope="channel_support", given_by=ConsentGiver.PARENT_OR_GUARDIAN, sought_on=TODAY - timedelta(days=3)
    )
    with db.uow() as uow, pytest.raises(InvalidFieldError, match="the person themselves"):
        record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=sought_at_17)


def test_a_refusal_recorded_after_consent_was_given_withdraws_it(db: Db) -> None:
    case_id = open_case(db)
    with db.uow() as uow:
        given = record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=given_consent())
    disclosure_id = disclose(db, assess_case(db, case_id))
    refusal = given_consent(status=ConsentStatus.REFUSED, given_by=None)
    with db.uow() as uow:
        record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=refusal)
    with db.uow() as uow:
        assert uow.session.get(ConsentRow, given).withdrawn_on == TODAY  # type: ignore[union-attr]
        assert uow.session.get(DisclosureRow, disclosure_id).consent_withdrawn_on == TODAY  # type: ignore[union-attr]
    assert "case:consent:withdraw" in events(db)
    with db.uow() as uow, pytest.raises(RefusedError, match="already withdrawn"):
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=given, on=TODAY)


def test_consent_replaced_by_a_refusal_no_longer_stands_and_says_so(db: Db) -> None:
    case_id = open_case(db)
    with db.uow() as uow:
        first = record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=given_consent())
    with db.uow() as uow:  # a second given record, then a refusal: the second is withdrawn by it
        record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=given_consent())
    with db.uow() as uow:
        refused = record_consent(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            on=TODAY,
            consent=given_consent(status=ConsentStatus.REFUSED, given_by=None),
        )
    with (
        db.uow() as uow,
        pytest.raises(RefusedError, match=f"no longer stands: consent {refused} \\(refused\\)"),
    ):
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=first, on=TODAY)


def test_only_the_consent_in_force_can_be_withdrawn(db: Db) -> None:
    case_id = open_case(db)
    walk_to_panel(db, case_id)
    first = channel_consent(db, case_id, ConsentGiver.SUBJECT)
    second = channel_consent(db, case_id, ConsentGiver.SUBJECT)  # recorded again, say to correct it
    with db.uow() as uow, pytest.raises(RefusedError, match=f"replaced by consent {second}"):
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=first, on=TODAY)
    with db.uow() as uow:
        withdrawn = withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=second, on=TODAY)
    assert (withdrawn.scope, withdrawn.flagged_disclosures) == ("channel_support", [])
    with pytest.raises(RefusedError, match="CTSA2015"):
        advance(db, case_id, Move.START_SUPPORT)


def given_consent(**changes: object) -> NewConsent:
    fields: dict[str, object] = {
        "scope": "sharing",
        "status": ConsentStatus.GIVEN,
        "has_capacity": True,
        "sought_by": "lead.a",
        "sought_on": TODAY,
        "given_by": ConsentGiver.SUBJECT,
    }
    return NewConsent(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": ConsentStatus.WITHDRAWN, "given_by": None}, "status"),
        ({"sought_on": TODAY + timedelta(days=1)}, "sought_on"),
        ({"scope": "everything"}, "scope"),
        ({"status": ConsentStatus.REFUSED}, "given_by"),
        ({"status": ConsentStatus.NOT_SOUGHT, "given_by": None, "sought_on": None}, "reason_not_sought"),
        ({"sought_by": "  "}, "sought_by"),
        ({"sought_by": "x" * 201}, "sought_by"),
        ({"capacity_assessed_by": "x" * 201}, "capacity_assessed_by"),
    ],
)
def test_a_consent_record_that_cannot_stand_is_refused_naming_the_field_and_nothing_is_written(
    db: Db, changes: dict[str, object], field: str
) -> None:
    case_id = open_case(db)
    before = events(db)
    with db.uow() as uow, pytest.raises(InvalidFieldError) as refused:
        record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=given_consent(**changes))
    assert refused.value.field == field
    assert events(db) == before
    with db.uow() as uow:
        assert uow.session.scalars(select(ConsentRow)).all() == []


def test_consent_is_withdrawn_only_on_its_own_case_and_not_before_it_was_recorded(db: Db) -> None:
    case_id, other = open_case(db), open_case(db)
    with db.uow() as uow:
        consent_id = record_consent(
            uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=given_consent()
        )
    with db.uow() as uow, pytest.raises(NotFoundError):
        withdraw_consent(uow=uow, actor="lead.a", case_id=other, consent_id=consent_id, on=TODAY)
    with db.uow() as uow, pytest.raises(InvalidFieldError) as early:
        withdraw_consent(
            uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY - timedelta(days=1)
        )
    assert early.value.field == "on"
    with db.uow() as uow:
        assert uow.session.get(ConsentRow, consent_id).withdrawn_on is None  # type: ignore[union-attr]
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY)
    with db.uow() as uow, pytest.raises(RefusedError, match="already withdrawn"):
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY)


def test_list_and_due_reads_are_audited(db: Db) -> None:
    open_case(db)
    with db.uow() as uow:
        assert [c.stage for c in list_cases(uow=uow, actor="auditor.a", stage=Stage.CONCERN_RAISED)] == [
            "concern_raised"
        ]
    assert events(db)[-1] == "case:list:view"


def test_audit_chain_verifies_after_a_realistic_history(db: Db) -> None:
    test_withdrawn_sharing_consent_is_recorded_against_every_earlier_disclosure(db)
    with db.uow() as uow:
        result = audit_service.verify(uow=uow)
    assert result.ok
    assert result.count == count(db, AuditEventRow)


def test_missing_case_is_not_found(db: Db) -> None:
    with pytest.raises(NotFoundError, match="case 42"), db.uow() as uow:
        view_case(uow=uow, actor="x", case_id=42, role=Role.PREVENT_LEAD)


def test_a_practitioner_sees_only_the_cases_they_raised_and_a_refused_look_is_audited_as_one(db: Db) -> None:
    others = open_case(db)  # raised by clinician.a
    before = events(db)
    with pytest.raises(NotFoundError, match=f"case {others} does not exist"), db.uow().reading() as uow:
        view_case(uow=uow, actor="practitioner.p", case_id=others, role=Role.PRACTITIONER)
    assert events(db) == [*before, "case:record:refuse"]
    with db.uow().reading() as uow:
        seen = view_case(uow=uow, actor="lead.a", case_id=others, role=Role.PREVENT_LEAD)
    assert seen.id == others
    with db.uow().reading() as uow:
        own = view_case(uow=uow, actor="clinician.a", case_id=others, role=Role.PRACTITIONER)
    assert own.raised_by == "clinician.a"
    assert events(db) == [*before, "case:record:refuse", "case:record:view", "case:record:view"]


def test_the_operator_without_a_role_sees_every_case(db: Db) -> None:
    case_id = open_case(db)
    with db.uow().reading() as uow:
        assert view_case(uow=uow, actor="cli", case_id=case_id, role=None).id == case_id


def test_a_move_dated_before_the_cases_last_move_is_refused(db: Db) -> None:
    # Closing a case on a day before the panel that preceded it would set its review dates from a
    # day it was still open.
    case_id = open_case(db, on=date(2026, 1, 5))
    assess_case(db, case_id, on=date(2026, 1, 5))
    advance(db, case_id, Move.REFER, on=date(2026, 6, 1))
    with pytest.raises(
        InvalidFieldError, match="on: cannot be before 2026-06-01, when the case's last move was made"
    ):
        advance(db, case_id, Move.START_SCREENING, on=date(2026, 2, 1))
    advance(db, case_id, Move.START_SCREENING, on=date(2026, 6, 1))  # the same day is fine
    with db.uow() as uow:
        assert view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD).stage == (
            "police_screening"
        )


def stage_and_version(db: Db, case_id: int) -> tuple[str, int, int]:
    """The case's stage and version, and how many audit events there are: a refusal changes none."""
    with db.uow() as uow:
        row = uow.session.get(CaseRow, case_id)
        assert row is not None
        return (
            row.stage,
            row.version,
            uow.session.scalar(select(func.count()).select_from(AuditEventRow)) or 0,
        )


def test_a_referral_cannot_be_dated_before_the_decision_that_authorises_it(db: Db) -> None:
    # The record would say information went to the police before the lawful decision to share it existed.
    case_id = open_case(db, on=TODAY - timedelta(days=30))
    assessment_id = assess_case(db, case_id, on=TODAY - timedelta(days=10))
    before = stage_and_version(db, case_id)
    with pytest.raises(
        InvalidFieldError,
        match=f"^on: cannot be before {TODAY - timedelta(days=10)}, when assessment {assessment_id} was decided$",
    ) as refused:
        advance(db, case_id, Move.REFER, on=TODAY - timedelta(days=11))
    assert refused.value.field == "on"
    assert stage_and_version(db, case_id) == before
    advance(db, case_id, Move.REFER, on=TODAY - timedelta(days=10))  # the day it was decided is fine
    assert stage_and_version(db, case_id)[0] == "referred"


def test_a_referral_recorded_late_keeps_its_day_after_the_decision(db: Db) -> None:
    case_id = open_case(db, on=TODAY - timedelta(days=30))
    assess_case(db, case_id, on=TODAY - timedelta(days=10))
    advance(db, case_id, Move.REFER, on=TODAY - timedelta(days=8))  # recorded today, made 8 days ago
    with db.uow() as uow:
        detail = view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert [(e.kind, e.on) for e in detail.timeline if e.kind == "stage_change"] == [
        ("stage_change", TODAY - timedelta(days=8))
    ]


def test_a_referral_is_dated_from_the_first_decision_that_still_authorises_it(db: Db) -> None:
    # Two standing decisions (to two recipients) each authorise it: the earlier one is enough.
    case_id = open_case(db, on=TODAY - timedelta(days=30))
    first = assess_case(db, case_id, on=TODAY - timedelta(days=20))
    assess_case(
        db,
        case_id,
        on=TODAY - timedelta(days=5),
        recipient={
            "name": "Synthetic Council",
            "type": "local_authority",
            "email": "prevent@synthetic-council.gov.uk",
        },
    )
    with pytest.raises(InvalidFieldError, match=f"when assessment {first} was decided"):
        advance(db, case_id, Move.REFER, on=TODAY - timedelta(days=21))
    advance(db, case_id, Move.REFER, on=TODAY - timedelta(days=20))


def test_closing_without_a_referral_cannot_be_dated_before_the_decision_not_to_refer(db: Db) -> None:
    case_id = open_case(db, on=TODAY - timedelta(days=30))
    decision = assess_case(
        db, case_id, on=TODAY - timedelta(days=3), decision=LeadDecision.DEPART, reason="Synthetic: no need"
    )
    with pytest.raises(
        InvalidFieldError, match=f"cannot be before {TODAY - timedelta(days=3)}, when assessment {decision}"
    ) as refused:
        advance(db, case_id, Move.CLOSE_WITHOUT_REFERRAL, on=TODAY - timedelta(days=4))
    assert refused.value.field == "on"
    advance(db, case_id, Move.CLOSE_WITHOUT_REFERRAL, on=TODAY - timedelta(days=3))
    assert stage_and_version(db, case_id)[0] == "closed"


def test_a_move_cannot_be_dated_before_the_case_was_opened(db: Db) -> None:
    case_id = open_case(db, on=TODAY - timedelta(days=30))
    assess_case(db, case_id, on=TODAY - timedelta(days=30))
    with pytest.raises(
        InvalidFieldError,
        match=f"^on: cannot be before {TODAY - timedelta(days=30)}, when the case was opened$",
    ):
        advance(db, case_id, Move.REFER, on=TODAY - timedelta(days=31))
    advance(db, case_id, Move.REFER, on=TODAY - timedelta(days=30))


def test_a_move_dated_after_today_is_refused_and_changes_nothing(db: Db) -> None:
    # Its deadlines (a review six months on, say) would count from a day not yet come.
    case_id = open_case(db)
    assess_case(db, case_id)
    with db.uow() as uow:
        before = uow.session.get(CaseRow, case_id)
        assert before is not None
        version = before.version
    with pytest.raises(InvalidFieldError, match="cannot be in the future") as refused:
        advance(db, case_id, Move.REFER, on=TODAY + timedelta(days=1))
    assert refused.value.field == "on"
    with db.uow() as uow:
        after = uow.session.get(CaseRow, case_id)
        assert after is not None
        assert (after.stage, after.version) == ("concern_raised", version)
    advance(db, case_id, Move.REFER, on=TODAY)  # today is fine
    db.clock.move_to(TODAY + timedelta(days=1))
    advance(db, case_id, Move.START_SCREENING, on=TODAY + timedelta(days=1))  # and so is tomorrow, tomorrow


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (TODAY + timedelta(days=1), "cannot be in the future"),
        (TODAY - timedelta(days=1), f"cannot be before {TODAY}, when assessment"),
    ],
)
def test_a_disclosure_is_dated_from_its_decision_to_today(db: Db, on: date, message: str) -> None:
    # Dated before the decision, the record would show items going out before a lawful basis was settled.
    case_id = open_case(db)
    assessment_id = assess_case(db, case_id)
    with pytest.raises(InvalidFieldError, match=message) as refused:
        disclose(db, assessment_id, on=on)
    assert refused.value.field == "on"
    assert count(db, DisclosureRow) == 0
    disclose(db, assessment_id, on=TODAY)
    assert count(db, DisclosureRow) == 1


def test_a_clarification_can_supply_only_the_checks_a_request_is_judged_on(db: Db) -> None:
    case_id = open_case(db, on=date(2026, 11, 2))
    request_id = partner_request(db, case_id, date(2026, 11, 16))
    with db.uow() as uow:
        ask_for_clarification(uow=uow, actor="lead.a", request_id=request_id, missing=["x"], on=TODAY)
    with pytest.raises(InvalidFieldError) as refused, db.uow() as uow:
        clarification_received(
            uow=uow,
            actor="lead.a",
            request_id=request_id,
            on=TODAY,
            calendar=db.config.calendar,
            supplied=["status"],
        )
    assert refused.value.field == "supplied" and "status: not a check" in refused.value.message
    with db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None and row.status == "awaiting_clarification"  # nothing written


def test_each_step_on_a_partner_request_is_dated_between_what_it_follows_and_today(db: Db) -> None:
    case_id = open_case(db, on=date(2026, 11, 2))
    request_id = partner_request(db, case_id, date(2026, 11, 16))
    tomorrow = TODAY + timedelta(days=1)

    def ask(on: date) -> None:
        with db.uow() as uow:
            ask_for_clarification(
                uow=uow, actor="lead.a", request_id=request_id, missing=["request_specific"], on=on
            )

    def clarified(on: date) -> None:
        with db.uow() as uow:
            clarification_received(
                uow=uow, actor="lead.a", request_id=request_id, on=on, calendar=db.config.calendar
            )

    def answer(on: date) -> None:
        with db.uow() as uow:
            mark_answered(uow=uow, actor="lead.a", request_id=request_id, on=on)

    for step, on, message in [
        (ask, date(2026, 11, 13), "cannot be before 2026-11-16, when request"),
        (ask, tomorrow, "cannot be in the future"),
    ]:
        with pytest.raises(InvalidFieldError, match=message):
            step(on)
    ask(date(2026, 11, 18))
    for on, message in [
        (date(2026, 11, 17), "cannot be before 2026-11-18, when the clarification was asked for"),
        (tomorrow, "cannot be in the future"),
    ]:
        with pytest.raises(InvalidFieldError, match=message):
            clarified(on)
    clarified(date(2026, 11, 20))
    for on, message in [
        (date(2026, 11, 19), "cannot be before 2026-11-20, when request"),
        (tomorrow, "cannot be in the future"),
    ]:
        with pytest.raises(InvalidFieldError, match=message):
            answer(on)
    answer(TODAY)
    with db.uow() as uow:
        steps = [(c.sent_on, c.resolved_on) for c in row_clarifications(uow, request_id)]
    assert steps == [(date(2026, 11, 18), date(2026, 11, 20))]


@pytest.mark.parametrize(
    ("asked", "field", "message"),
    [
        (date(2026, 1, 4), "information_request_on", "cannot be before 2026-01-05, when the case was opened"),
        # Gathering cannot start before the panel asked: the move's own date is then the one at fault.
        (date(2026, 3, 3), "on", "cannot be before 2026-03-03, when the panel's request for information"),
    ],
)
def test_an_information_request_dated_outside_the_case_is_refused(
    db: Db, asked: date, field: str, message: str
) -> None:
    # The 5-working-day deadline counts from it: a year on pushed the deadline a year out.
    case_id = open_case(db, on=date(2026, 1, 5))
    assess_case(db, case_id, on=date(2026, 1, 5))
    for move in (Move.REFER, Move.START_SCREENING):
        advance(db, case_id, move, on=date(2026, 3, 2))
    with pytest.raises(InvalidFieldError, match=message) as refused:
        advance(db, case_id, Move.GATHER_INFORMATION, on=date(2026, 3, 2), information_request_on=asked)
    assert refused.value.field == field
    advance(
        db, case_id, Move.GATHER_INFORMATION, on=date(2026, 3, 2), information_request_on=date(2026, 2, 27)
    )
    with db.uow() as uow:
        detail = view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD)
    assert detail.stage == "information_gathering"


def test_a_new_decision_on_the_same_question_replaces_the_standing_one(db: Db) -> None:
    # The web and the CLI never said which decision a reassessment replaces, so an earlier "share" stayed
    # current beside a later "do not share", and the earlier one could still be disclosed or sent.
    case_id = open_case(db)
    first = assess_case(db, case_id)
    other_recipient = assess_case(
        db,
        case_id,
        recipient={
            "name": "Synthetic Council",
            "type": "local_authority",
            "email": "prevent@synthetic-council.gov.uk",
        },
    )
    second = assess_case(
        db, case_id, decision=LeadDecision.DEPART, reason="Synthetic: already shared by phone"
    )
    with db.uow() as uow:
        rows = {row.id: row for row in uow.session.scalars(select(AssessmentRow))}
        summaries = [
            e.summary
            for e in view_case(uow=uow, actor="lead.a", case_id=case_id, role=Role.PREVENT_LEAD).timeline
        ]
    assert rows[second].supersedes_id == first  # the same purpose, request and recipient
    assert rows[other_recipient].supersedes_id is None  # another recipient is another question
    assert any(s.endswith(f"Replaces assessment {first}.") for s in summaries)
    with pytest.raises(RefusedError, match=f"assessment {first} was superseded by assessment {second}"):
        disclose(db, first)
    with pytest.raises(RefusedError, match="does not authorise sharing"):
        disclose(db, second)
    assert count(db, DisclosureRow) == 0


def test_a_decision_resting_on_consent_stops_authorising_once_consent_is_withdrawn(db: Db) -> None:
    case_id = open_case(db)
    with db.uow() as uow:
        consent_id = record_consent(
            uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=given_consent()
        )
    decided = assess_case(db, case_id)  # the person agreed: the engine rests the decision on consent
    with db.uow() as uow:
        assert uow.session.get(AssessmentRow, decided).confidentiality_basis == "CLDC.consent"  # type: ignore[union-attr]
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY)
    refusal = (
        f"assessment {decided} rested on consent to sharing, but the case's consent record now says "
        f"consent to sharing was withdrawn on {TODAY}"
    )
    with pytest.raises(RefusedError, match=refusal):
        disclose(db, decided)
    with pytest.raises(RefusedError, match="prevent_referral"):  # the referral move's guard agrees
        advance(db, case_id, Move.REFER)
    assert count(db, DisclosureRow) == 0
    # A decision on another basis is not undone by the withdrawal: without consent, in the public
    # interest, the lead may still share.
    public_interest = assess_case(
        db,
        case_id,
        consent={"status": "withdrawn", "given_by": None},
        grounds={"rationale": "Synthetic risk"},
    )
    with db.uow() as uow:
        assert uow.session.get(AssessmentRow, public_interest).confidentiality_basis == "CLDC.public_interest"  # type: ignore[union-attr]
    disclose(db, public_interest)
    advance(db, case_id, Move.REFER)


@pytest.mark.parametrize("supports", [False, True])
def test_a_decision_made_while_advice_was_awaited_stops_authorising_when_the_advice_is_against(
    db: Db, supports: bool
) -> None:
    # Decision rules step 7: advice against means do not share. Made before the advice came, the
    # decision said share; once the adviser answers against it, nothing may go on it.
    case_id = open_case(db)
    decided = assess_case(
        db, case_id, ig_advice={"adviser_role": "caldicott_guardian", "supports_sharing": None}
    )
    entry = advice_recorded(db, decided, supports=supports)
    if supports:
        disclose(db, decided)
        advance(db, case_id, Move.REFER)
        return
    refusal = (
        f"the IG advice on assessment {decided} \\(Caldicott log entry {entry}\\) does not support sharing"
    )
    with pytest.raises(RefusedError, match=refusal):
        disclose(db, decided)
    with pytest.raises(RefusedError, match="prevent_referral"):  # the referral move's guard agrees
        advance(db, case_id, Move.REFER)
    assert count(db, DisclosureRow) == 0
    # Reassessed with the advice, the lead's new decision is the word: do not share.
    reassessed = assess_case(
        db, case_id, ig_advice={"adviser_role": "caldicott_guardian", "supports_sharing": False}
    )
    with pytest.raises(RefusedError, match="does not authorise sharing"):
        disclose(db, reassessed)


def problems_of(db: Db, case_id: int, **overrides: object) -> list[tuple[str, str]]:
    with pytest.raises(AssessmentInputProblemsError) as refused:
        assess_case(db, case_id, **overrides)
    return [(p.field, p.message) for p in refused.value.problems]


def test_a_decision_whose_answers_contradict_the_case_record_is_refused_and_writes_nothing(db: Db) -> None:
    # The engine decides on the answers alone: an age of 15 for someone born in 1990 reached for the
    # under-18 safeguarding condition and a parent's consent, and "given" for a person whose recorded
    # consent was withdrawn rested the decision on consent that was not there.
    case_id = open_case(db)  # born 17 May 1990: 36 on the test clock's day
    assert problems_of(db, case_id, subject={"age": 15}) == [
        ("subject.age", "must agree with the date of birth on the case record")
    ]
    with db.uow() as uow:
        consent_id = record_consent(
            uow=uow,
            actor="lead.a",
            case_id=case_id,
            on=TODAY,
            consent=given_consent(given_by=ConsentGiver.LEGAL_REPRESENTATIVE, has_capacity=False),
        )
    assert problems_of(db, case_id) == [
        ("consent.given_by", "must agree with who gave it on the case's consent record")
    ]
    with db.uow() as uow:
        withdraw_consent(uow=uow, actor="lead.a", case_id=case_id, consent_id=consent_id, on=TODAY)
    assert problems_of(db, case_id) == [
        (
            "consent.status",
            f"the case's consent record says consent to sharing was withdrawn on {TODAY}; record the consent "
            "again if it has been given since",
        )
    ]
    assert count(db, AssessmentRow) == 0
    # Answers that agree with the record are taken: without consent now, on other grounds.
    assess_case(db, case_id, consent={"status": "withdrawn", "given_by": None})
    assert count(db, AssessmentRow) == 1


def test_support_cannot_be_dated_to_start_before_consent_to_it_was_given(db: Db) -> None:
    case_id = open_case(db, on=TODAY - timedelta(days=20))
    walk_to_panel(db, case_id, on=TODAY - timedelta(days=20))
    consent_id = channel_consent(db, case_id, ConsentGiver.SUBJECT)  # sought and given today
    with pytest.raises(
        InvalidFieldError,
        match=f"cannot be before {TODAY}, when consent to Channel support was given \\(consent {consent_id}\\)",
    ) as refused:
        advance(db, case_id, Move.START_SUPPORT, on=TODAY - timedelta(days=19))
    assert refused.value.field == "on"
    advance(db, case_id, Move.START_SUPPORT, on=TODAY)


def test_consent_is_judged_on_the_day_it_was_given_as_well_as_the_day_it_is_recorded(db: Db) -> None:
    # 18 three days ago; asked ten days ago, at 17, their own consent to Channel support was not the
    # consent the law asks for (a parent's), whenever it is written down.
    born = date(TODAY.year - 18, TODAY.month, TODAY.day) - timedelta(days=3)
    case_id = open_case(db, date_of_birth=born)

    def record(sought_on: date) -> None:
        consent = NewConsent(
            scope="channel_support",
            status=ConsentStatus.GIVEN,
            has_capacity=True,
            sought_by="lead.a",
            sought_on=sought_on,
            given_by=ConsentGiver.SUBJECT,
        )
        with db.uow() as uow:
            record_consent(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, consent=consent)

    with pytest.raises(InvalidFieldError, match="at 17 must come from a parent or guardian") as refused:
        record(TODAY - timedelta(days=10))
    assert refused.value.field == "given_by"
    with pytest.raises(InvalidFieldError, match="cannot be before the person was born") as refused:
        record(born - timedelta(days=1))
    assert refused.value.field == "sought_on"
    assert count(db, ConsentRow) == 0
    record(TODAY - timedelta(days=1))  # asked at 18: their own
    assert count(db, ConsentRow) == 1


def test_a_decision_on_a_request_counts_from_the_day_its_clock_last_started(db: Db) -> None:
    # Its "respond by" is worked out from request.received: any other day would give the lead a
    # deadline the request does not have.
    case_id = open_case(db, on=date(2026, 11, 2))
    request_id = partner_request(db, case_id, date(2026, 11, 16), specific=True)
    with db.uow() as uow:
        ask_for_clarification(
            uow=uow, actor="lead.a", request_id=request_id, missing=["x"], on=date(2026, 11, 17)
        )
        clarification_received(
            uow=uow, actor="lead.a", request_id=request_id, on=date(2026, 11, 19), calendar=db.config.calendar
        )
    answering = {
        "kind": "request_response",
        "purpose": "channel_information_gathering",
        "recipient": REQUESTOR,
    }
    for received in ("2026-11-16", "2026-11-18"):  # its arrival, and a day it never started on
        with pytest.raises(AssessmentInputProblemsError) as refused:
            assess_case(
                db,
                case_id,
                request_id=request_id,
                request={**REQUEST_COMPLETE, "received": received},
                **answering,
            )
        assert [(p.field, p.message) for p in refused.value.problems] == [
            (
                "request.received",
                f"must be 2026-11-19, the day request {request_id}'s clock last started (its arrival, or the "
                "requestor's answer to a clarification)",
            )
        ]
    decision_id = assess_case(
        db,
        case_id,
        request_id=request_id,
        request={**REQUEST_COMPLETE, "received": "2026-11-19"},
        **answering,
    )
    with db.uow() as uow:
        row = uow.session.get(AssessmentRow, decision_id)
        assert row is not None
        assert [o["due"] for o in row.output["obligations"] if o["code"] == "respond_by"] == ["2026-11-26"]


def test_a_decision_linked_to_a_request_must_be_a_decision_on_a_request(db: Db) -> None:
    # Recorded as a referral yet linked to the request, it skipped the request's checks (rules step 2)
    # and its clock, gave no "respond by", and a disclosure under it would mark the request answered.
    case_id = open_case(db, on=date(2026, 11, 2))
    request_id = partner_request(db, case_id, date(2026, 11, 16))
    with pytest.raises(AssessmentInputProblemsError) as refused:
        # Who asked and what for as the request says; only what kind of decision it is differs.
        assess_case(
            db, case_id, request_id=request_id, purpose="channel_information_gathering", recipient=REQUESTOR
        )
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("kind", f"must be 'request_response': the decision answers partner request {request_id}")
    ]
    assert count(db, AssessmentRow) == 0
