"""The demo shows every part of the service working, including a question waiting for IG advice."""

from sqlalchemy import func, select

from prevent_ig.adapters.documents.pdf import PdfRenderer
from prevent_ig.adapters.records.tables import CaseRow, PartnerRequestRow
from prevent_ig.domain.pathway.machine import Move
from prevent_ig.services.advice import awaiting_advice
from prevent_ig.services.demo import PATHS, load_demo_data
from prevent_ig.services.documents import issue_referral, save_referral_answers
from tests.documents.builders import ANSWERS, pdf_pages
from tests.fixtures_db import TODAY, Db


def test_the_demo_has_a_decision_waiting_for_the_caldicott_guardian(db: Db) -> None:
    loaded = load_demo_data(uow_factory=db.uow, config=db.config, today=TODAY)

    not_yet_referred = [
        case_id for case_id, (_, moves, _) in zip(loaded.case_ids, PATHS, strict=True) if not moves
    ]
    assert not_yet_referred  # the demo keeps a case at the start of the pathway
    with db.uow() as uow:
        waiting = awaiting_advice(uow)
        assert [(row.case_id, row.input["ig_advice"]["adviser_role"]) for row in waiting] == [
            (case_id, "caldicott_guardian") for case_id in not_yet_referred
        ]


def test_no_demo_case_that_has_left_channel_waits_on_the_panels_request(db: Db) -> None:
    # A case escalated to the police before the panel met had its panel request open for good, the
    # closed case showing it as its next deadline.
    loaded = load_demo_data(uow_factory=db.uow, config=db.config, today=TODAY)
    with db.uow() as uow:
        left = select(CaseRow.id).where(CaseRow.closed_on.is_not(None), CaseRow.id.in_(loaded.case_ids))
        waiting = uow.session.scalars(
            select(PartnerRequestRow.case_id).where(
                PartnerRequestRow.case_id.in_(left), PartnerRequestRow.status != "answered"
            )
        ).all()
        closed = uow.session.scalar(select(func.count()).select_from(left.subquery()))
    assert closed and waiting == []


def test_the_demo_starts_information_gathering_from_the_panels_recorded_request(db: Db) -> None:
    # Each case that reached information gathering names the panel request that asked, so the case in
    # that stage has one deadline, the request's, not a second of its own beside it.
    loaded = load_demo_data(uow_factory=db.uow, config=db.config, today=TODAY)
    with db.uow() as uow:
        gathered = uow.session.execute(
            select(CaseRow.id, CaseRow.stage, CaseRow.information_request_id, CaseRow.next_due_on).where(
                CaseRow.id.in_(loaded.case_ids), CaseRow.information_request_on.is_not(None)
            )
        ).all()
        asked_by = dict(
            uow.session.execute(
                select(PartnerRequestRow.id, PartnerRequestRow.case_id).where(
                    PartnerRequestRow.purpose == "channel_information_gathering"
                )
            ).all()
        )
    assert gathered and all(asked_by.get(row.information_request_id) == row.id for row in gathered)
    assert [row.next_due_on for row in gathered if row.stage == "information_gathering"] == [None]


def test_the_demos_referral_form_carries_the_address_its_decision_released(db: Db) -> None:
    # The address is printed only when the decision releases a contact item; the demo's decisions to
    # refer release one (the police need to find the person), so its referral form shows the address.
    loaded = load_demo_data(uow_factory=db.uow, config=db.config, today=TODAY)
    case_id = next(
        case_id for case_id, (_, moves, _) in zip(loaded.case_ids, PATHS, strict=True) if Move.REFER in moves
    )
    with db.uow() as uow:
        save_referral_answers(uow=uow, actor="demo.lead", case_id=case_id, answers=ANSWERS)
    with db.uow() as uow:
        case = uow.session.get(CaseRow, case_id)
        assert case is not None
        address = case.subject.address
        issued = issue_referral(uow=uow, actor="demo.lead", case_id=case_id, on=TODAY, renderer=PdfRenderer())
    text = " ".join(" ".join(pdf_pages(issued.content)).split())
    assert f"Address {address}" in text
    assert "released no contact information" not in text
