"""Documents issued from the records, rendered to real PDFs by WeasyPrint and read back with pypdf.

Each PDF is checked for the protective marking centred at the top and at the bottom of every page,
page numbers and the document reference on every page, the fields the document must carry, and the
absence of withheld items and of another person's data.
"""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from prevent_ig.adapters.documents.pdf import PdfRenderer, render_html
from prevent_ig.adapters.records.tables import (
    AssessmentRow,
    AuditEventRow,
    ClarificationRow,
    ContactRow,
    DocumentRow,
    PartnerRequestRow,
)
from prevent_ig.domain.access import Role
from prevent_ig.domain.documents.model import Document
from prevent_ig.services.accounts import create_user
from prevent_ig.services.disclosures import ReleasedItem
from prevent_ig.services.documents import (
    IssuedDocument,
    draft_caldicott_entry,
    issue_clarification_letter,
    issue_disclosure_pack,
    issue_record_note,
    issue_referral,
    save_referral_answers,
)
from prevent_ig.services.errors import InvalidFieldError, NotFoundError, RefusedError
from prevent_ig.services.requests import clarification_received, mark_answered
from tests.builders import input_data
from tests.documents.builders import (
    ANSWERS,
    CONTACT,
    CONTENTS,
    HEALTH,
    HOBBIES,
    IDENTITY,
    OTHER_CONCERN,
    OTHER_PERSON,
    assess,
    other_case,
    page_size,
    partner_request,
    pdf_pages,
    placed_text,
    referral,
)
from tests.fixtures_db import TODAY, Db
from tests.records.helpers import open_case

RENDERER = PdfRenderer()
MARKING = "OFFICIAL-SENSITIVE"
OTHER_PERSONS_DATA = (str(OTHER_PERSON["family_name"]), "999 000 0026", "9990000026", OTHER_CONCERN)
WITHHELD = (str(HOBBIES["description"]), "chess")


def assert_marked_on_every_page(issued: IssuedDocument) -> list[str]:
    """The marking once at the top and once at the bottom of each page, centred; page N of M and the
    reference on each page. Returns each page's text."""
    pages = pdf_pages(issued.content)
    width, height = page_size(issued.content)
    for number, (text, marks) in enumerate(
        zip(pages, placed_text(issued.content, MARKING), strict=True), start=1
    ):
        assert f"Page {number} of {len(pages)}" in text
        assert issued.reference in text
        margin = [m for m in marks if m.text == MARKING]
        tops = [m for m in margin if m.y > height - 60]
        bottoms = [m for m in margin if m.y < 60]
        assert len(tops) == 1 and len(bottoms) == 1, f"page {number}: {marks}"
        for mark in (*tops, *bottoms):
            # Centred: the run starts about half its own width left of the page's centre. Its width is
            # estimated from the font size (DejaVu Sans Bold capitals are about 0.65 em wide).
            estimated_width = len(MARKING) * mark.size * 0.65
            assert abs(mark.x + estimated_width / 2 - width / 2) < 12, f"page {number}: not centred: {mark}"
    return pages


def count_documents(db: Db) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(DocumentRow)) or 0


def test_referral_form_pdf_carries_the_case_marked_on_every_page(db: Db) -> None:
    long_answers = {**ANSWERS, "other_information": "\n".join(f"Synthetic note line {i}." for i in range(60))}
    made = referral(db, answers=long_answers)
    other_case(db)
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    pages = assert_marked_on_every_page(issued)
    assert len(pages) >= 2
    text = " ".join(" ".join(pages).split())
    for expected in (
        "Prevent referral",
        "Alex Testperson",
        "17 May 1990",
        "999 000 0018",
        "1 Synthetic Street, Demotown",
        "Synthetic concern noticed in clinic.",
        "Synthetic: low mood since a bereavement",  # health was released, so vulnerabilities are filled
        "Synthetic: school nurse",
        "Given by the person",
        "Synthetic Lead",
        "prevent.lead@example-trust.nhs.uk",
        "Ward 9 nurses' station, extension 4321",
        "clinician.a",
        f"{made.assessment_id}",
        "UKGDPR.6.1.e",
    ):
        assert expected in text, expected
    for absent in (*WITHHELD, *OTHER_PERSONS_DATA):
        assert absent not in text, absent
    assert issued.reference.startswith("PIG-REF-")
    assert issued.filename == f"{issued.reference}.pdf"


def test_referral_leaves_out_what_the_assessment_did_not_release(db: Db) -> None:
    made = referral(db, items=[IDENTITY])
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    text = " ".join(" ".join(assert_marked_on_every_page(issued)).split())
    assert "Alex Testperson" in text
    assert ANSWERS["vulnerabilities"] not in text
    assert "Not included: the referral assessment released no health information." in text


def test_the_address_goes_on_the_form_only_with_a_released_contact_item(db: Db) -> None:
    # Who the person is (identity) and where they can be found (contact) are separate items: a decision
    # that released the first and withheld the second printed the home address all the same.
    family = "Synthetic Parent, 07700 900123"
    answers = {**ANSWERS, "family_or_carers": family}
    withheld_contact = {**CONTACT, "relevant": False, "justification": ""}
    withheld = referral(db, items=[IDENTITY, withheld_contact, HEALTH], answers=answers)
    released = referral(db, items=[IDENTITY, CONTACT, HEALTH], answers=answers)
    texts = {}
    for made in (withheld, released):
        with db.uow() as uow:
            issued = issue_referral(
                uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER
            )
        texts[made] = " ".join(" ".join(pdf_pages(issued.content)).split())
    with db.uow() as uow:
        row = uow.session.get(AssessmentRow, withheld.assessment_id)
        assert row is not None and [w["id"] for w in row.output["items_withheld"]] == ["contact"]

    assert "Alex Testperson" in texts[withheld] and "17 May 1990" in texts[withheld]
    assert "Synthetic Street" not in texts[withheld] and "Demotown" not in texts[withheld]
    assert family not in texts[withheld]
    assert "Address Not included: the referral assessment released no contact information." in texts[withheld]

    assert "Address 1 Synthetic Street, Demotown" in texts[released]
    assert family in texts[released]
    assert "released no contact information" not in texts[released]


def test_referral_without_consent_carries_the_documented_rationale(db: Db) -> None:
    rationale = "Synthetic: a serious risk to others outweighs the refusal."
    made = referral(db, consent={"status": "refused", "given_by": None}, grounds={"rationale": rationale})
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    text = " ".join(" ".join(pdf_pages(issued.content)).split())
    assert "Why the referral is made without consent" in text
    assert rationale in text
    assert "Refused" in text


def test_consent_the_law_does_not_count_is_not_presented_as_consent(db: Db) -> None:
    # A legal representative "consenting" for an adult who has capacity is no consent: the engine rests
    # the decision on the public interest, and the form said "Consent: Given" without the rationale.
    rationale = "Synthetic: a serious risk to others; the person was not asked themselves."
    made = referral(
        db, consent={"status": "given", "given_by": "legal_representative"}, grounds={"rationale": rationale}
    )
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    text = " ".join(" ".join(pdf_pages(issued.content)).split())
    assert "CLDC.consent" not in text and "CLDC.public_interest" in text
    assert "Given by legal representative, but not consent the law counts for this person" in text
    assert "Why the referral is made without consent" in text and rationale in text


def test_referral_is_registered_and_audited_with_ids_only(db: Db) -> None:
    made = referral(db)
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    with db.uow() as uow:
        row = uow.session.get(DocumentRow, issued.id)
        assert row is not None
        assert (row.reference, row.kind, row.case_id, row.assessment_id) == (
            issued.reference,
            "referral",
            made.case_id,
            made.assessment_id,
        )
        assert row.template == "national-prevent-referral v2"
        assert row.size == len(issued.content) and row.sha256 and len(row.sha256) == 64
        event = uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc())).first()
        assert event is not None
        assert (event.event, event.entity, event.case_id) == (
            "case:document:create",
            f"document:{issued.id}",
            made.case_id,
        )


def test_referral_is_refused_without_a_current_decision_to_refer_and_writes_nothing(db: Db) -> None:
    case_id = open_case(db)
    with db.uow() as uow, pytest.raises(RefusedError, match="no current decision to refer"):
        issue_referral(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, renderer=RENDERER)
    assess(
        db,
        case_id,
        input_data(
            consent={"status": "refused", "given_by": None}, grounds={"risk_of_harm_to_others": False}
        ),
    )
    with db.uow() as uow, pytest.raises(RefusedError):
        issue_referral(uow=uow, actor="lead.a", case_id=case_id, on=TODAY, renderer=RENDERER)
    with db.uow() as uow, pytest.raises(NotFoundError):
        issue_referral(uow=uow, actor="lead.a", case_id=999, on=TODAY, renderer=RENDERER)
    assert count_documents(db) == 0


def test_referral_names_the_first_missing_field_and_the_register_can_fill_the_referrer(db: Db) -> None:
    made = referral(db, answers={})
    with db.uow() as uow, pytest.raises(InvalidFieldError) as caught:
        issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    assert caught.value.field == "referral.referrer_name"
    assert "source_contact" in caught.value.message
    assert count_documents(db) == 0
    with db.uow() as uow:
        uow.session.add(
            ContactRow(
                role="prevent_lead", name="Synthetic Register Lead", email="register@example-trust.nhs.uk"
            )
        )
        uow.commit()
        save_referral_answers(
            uow=uow, actor="lead.a", case_id=made.case_id, answers={"source_contact": "bleep 555"}
        )
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    assert "Synthetic Register Lead" in " ".join(pdf_pages(issued.content))


def test_who_raised_the_concern_is_named_on_the_form_as_their_account_names_them(db: Db) -> None:
    made = referral(db, answers=ANSWERS)  # raised by clinician.a
    with db.uow() as uow:
        create_user(
            uow=uow,
            actor="admin",
            username="clinician.a",
            display_name="Dr Sam Synthetic",
            role=Role.PRACTITIONER,
            password="a synthetic password long enough",
        )
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=RENDERER)
    text = " ".join(" ".join(pdf_pages(issued.content)).split())
    assert "Dr Sam Synthetic" in text
    assert "clinician.a" not in text


def test_answers_to_questions_the_form_does_not_ask_are_refused(db: Db) -> None:
    made = referral(db)
    with db.uow() as uow, pytest.raises(InvalidFieldError) as caught:
        save_referral_answers(
            uow=uow, actor="lead.a", case_id=made.case_id, answers={"date_of_birth": "1 Jan 2000"}
        )
    assert caught.value.field == "answers.date_of_birth"


def test_disclosure_pack_holds_a_cover_sheet_and_only_the_released_items(db: Db) -> None:
    made = partner_request(db)
    other_case(db)
    items = [ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()]
    with db.uow() as uow:
        issued = issue_disclosure_pack(
            uow=uow,
            actor="lead.a",
            assessment_id=made.assessment_id,
            on=TODAY,
            renderer=RENDERER,
            items=items,
        )
    text = " ".join(" ".join(assert_marked_on_every_page(issued)).split())
    for expected in (
        "Northshire Channel Panel (synthetic)",  # recipient
        "Synthetic Coordinator",
        "channel@northshire.gov.uk",
        "multi-agency information gathering for a Channel panel",  # purpose
        "received 23 November 2026",
        "UKGDPR.6.1.e",  # basis, with the provision's title
        "Art 6(1)(e)",
        "Handling instructions",
        "Ask us before passing any of it to another organisation.",
        str(IDENTITY["description"]),  # released items, with their content
        CONTENTS["identity"],
        "Current mental health support",
        CONTENTS["mental-health"],
    ):
        assert expected in text, expected
    for absent in (*WITHHELD, "hobbies", *OTHER_PERSONS_DATA):
        assert absent not in text, absent


def test_disclosure_pack_refuses_withheld_unknown_repeated_or_missing_items_and_writes_nothing(
    db: Db,
) -> None:
    made = partner_request(db)

    def attempt(items: list[ReleasedItem]) -> None:
        with db.uow() as uow:
            issue_disclosure_pack(
                uow=uow,
                actor="lead.a",
                assessment_id=made.assessment_id,
                on=TODAY,
                renderer=RENDERER,
                items=items,
            )

    released = [ReleasedItem(id=k, content=v) for k, v in CONTENTS.items()]
    with pytest.raises(RefusedError, match="hobbies was withheld"):
        attempt([*released, ReleasedItem(id="hobbies", content="Synthetic chess club")])
    with pytest.raises(InvalidFieldError) as missing:
        attempt(released[:1])
    assert missing.value.field == "items.mental-health"
    with pytest.raises(InvalidFieldError) as unknown:
        attempt([*released, ReleasedItem(id="shoe-size", content="9")])
    assert unknown.value.field == "items.shoe-size"
    with pytest.raises(InvalidFieldError, match="more than once"):
        attempt([*released, released[0]])
    with db.uow() as uow, pytest.raises(InvalidFieldError, match="nothing was sent yet"):
        issue_disclosure_pack(
            uow=uow, actor="lead.a", assessment_id=made.assessment_id, on=TODAY, renderer=RENDERER
        )
    assert count_documents(db) == 0


def test_disclosure_pack_needs_a_followed_decision_to_share(db: Db) -> None:
    made = partner_request(db, complete=False)  # the engine asks to clarify
    with db.uow() as uow, pytest.raises(RefusedError, match="does not authorise sharing"):
        issue_disclosure_pack(
            uow=uow,
            actor="lead.a",
            assessment_id=made.assessment_id,
            on=TODAY,
            renderer=RENDERER,
            items=[ReleasedItem(id="identity", content="x")],
        )


def test_clarification_letter_lists_what_is_missing_and_nothing_about_the_person(db: Db) -> None:
    made = partner_request(db, complete=False)
    with db.uow() as uow:
        issued = issue_clarification_letter(
            uow=uow,
            actor="lead.a",
            assessment_id=made.assessment_id,
            on=TODAY,
            renderer=RENDERER,
        )
    text = " ".join(" ".join(assert_marked_on_every_page(issued)).split())
    for expected in (
        "Synthetic Coordinator",
        "Northshire Channel Panel (synthetic)",
        "23 November 2026",
        f"{made.request_id}",
        "What we need from you",
        "Exactly which information is needed, and why it is relevant.",
        "5 working days",
    ):
        assert expected in text, expected
    for absent in ("Alex", "Testperson", "999 000 0018", "Synthetic concern", *WITHHELD):
        assert absent not in text, absent
    share = partner_request(db)
    with db.uow() as uow, pytest.raises(RefusedError, match="not clarify"):
        issue_clarification_letter(
            uow=uow, actor="lead.a", assessment_id=share.assessment_id, on=TODAY, renderer=RENDERER
        )


def letter(db: Db, assessment_id: int, on: date = TODAY) -> IssuedDocument:
    with db.uow() as uow:
        return issue_clarification_letter(
            uow=uow, actor="lead.a", assessment_id=assessment_id, on=on, renderer=RENDERER
        )


def clarifications(db: Db, request_id: int) -> list[tuple[date, list[Any], date | None]]:
    with db.uow() as uow:
        return [
            (c.sent_on, c.missing, c.resolved_on)
            for c in uow.session.scalars(
                select(ClarificationRow)
                .where(ClarificationRow.request_id == request_id)
                .order_by(ClarificationRow.id)
            )
        ]


def request_status(db: Db, request_id: int) -> str:
    with db.uow() as uow:
        row = uow.session.get(PartnerRequestRow, request_id)
        assert row is not None
        return row.status


ASKED = ["request_proforma", "request_consent_position", "request_specific"]
"""What the incomplete request of the builders lacks, as the letter lists it (its points, in order)."""


def test_issuing_the_clarification_letter_stops_the_requests_clock_once(db: Db) -> None:
    """The letter told the requestor nothing would be shared until they replied and the 5 days would
    run from their reply, while the request stayed open and its clock ran on to the old due date."""
    made = partner_request(db, complete=False)
    before = count_documents(db)

    issued = letter(db, made.assessment_id)

    assert request_status(db, made.request_id) == "awaiting_clarification"
    assert clarifications(db, made.request_id) == [(TODAY, ASKED, None)]
    text = " ".join(" ".join(assert_marked_on_every_page(issued)).split())
    for point in (
        "An official request form approved by the requesting organisation.",
        "Whether the person has consented to this sharing.",
        "Exactly which information is needed, and why it is relevant.",
    ):
        assert point in text, point
    with db.uow() as uow:
        events = list(
            uow.session.scalars(select(AuditEventRow.event).order_by(AuditEventRow.seq.desc()).limit(3))
        )
    assert set(events[:2]) == {"case:request:clarify", "case:document:create"}

    again = letter(db, made.assessment_id)  # a copy for the requestor who lost the first

    assert again.reference != issued.reference and count_documents(db) == before + 2
    assert clarifications(db, made.request_id) == [(TODAY, ASKED, None)]  # asked once
    assert request_status(db, made.request_id) == "awaiting_clarification"


def test_no_clarification_letter_for_an_answered_request(db: Db) -> None:
    made = partner_request(db, complete=False)
    with db.uow() as uow:
        mark_answered(uow=uow, actor="lead.a", request_id=made.request_id, on=TODAY)
    before = count_documents(db)

    with pytest.raises(RefusedError, match=f"request {made.request_id} was answered on {TODAY}"):
        letter(db, made.assessment_id)

    assert count_documents(db) == before
    assert clarifications(db, made.request_id) == []
    assert request_status(db, made.request_id) == "answered"


def test_a_letter_issued_on_a_day_before_the_request_arrived_is_refused_whole(db: Db) -> None:
    made = partner_request(db, complete=False)  # received 23 November
    before = count_documents(db)
    with pytest.raises(InvalidFieldError) as refused:
        letter(db, made.assessment_id, on=date(2026, 11, 20))
    assert refused.value.field == "on"
    assert (count_documents(db), clarifications(db, made.request_id)) == (before, [])
    assert request_status(db, made.request_id) == "open"


def test_a_letter_from_a_decision_the_requestors_answer_came_after_is_refused(db: Db) -> None:
    """Issued again once the requestor had answered, it would stop the clock afresh for points the
    answer may have given: the request must be assessed again on what it now says."""
    made = partner_request(db, complete=False, decided_on=date(2026, 11, 24))
    letter(db, made.assessment_id, on=date(2026, 11, 24))
    with db.uow() as uow:
        clarification_received(
            uow=uow,
            actor="lead.a",
            request_id=made.request_id,
            on=date(2026, 11, 25),
            calendar=db.config.calendar,
            supplied=["proforma"],
        )
    before = count_documents(db)

    with pytest.raises(RefusedError, match="as it was before the requestor answered on 2026-11-25"):
        letter(db, made.assessment_id)

    assert count_documents(db) == before
    assert len(clarifications(db, made.request_id)) == 1 and request_status(db, made.request_id) == "open"
    with db.uow() as uow:
        data = uow.session.get(AssessmentRow, made.assessment_id).input  # type: ignore[union-attr]
    data["request"]["received"] = "2026-11-25"  # a decision counts from the request's clock's restart
    data["request"]["proforma"] = True  # and is taken on the request as the answer left it
    newer = assess(db, made.case_id, data, request_id=made.request_id, supersedes_id=made.assessment_id)
    with pytest.raises(RefusedError, match=f"replaced by assessment {newer}"):
        letter(db, made.assessment_id)
    letter(db, newer)  # decided today, after the answer: it asks again, and the clock stops again
    assert [c[2] for c in clarifications(db, made.request_id)] == [date(2026, 11, 25), None]
    assert request_status(db, made.request_id) == "awaiting_clarification"


def test_record_note_and_caldicott_entry_come_from_the_stored_decision(db: Db) -> None:
    case_id = open_case(db)
    assessment_id = assess(
        db,
        case_id,
        input_data(
            consent={"status": "refused", "given_by": None},
            items=[IDENTITY, HOBBIES],
            ig_advice={"adviser_role": "caldicott_guardian", "supports_sharing": True},
        ),
    )
    with db.uow() as uow:
        note = issue_record_note(uow=uow, actor="lead.a", assessment_id=assessment_id, on=TODAY)
    assert note.media_type == "text/plain" and note.reference.startswith("PIG-NOTE-")
    assert "Decision: share the information listed below." in note.text
    assert "Rationale: Synthetic rationale." in note.text
    assert "The lead (lead.a) followed the engine's decision." in note.text
    assert (
        "- hobbies: Membership of a chess club (not relevant)" in note.text
    )  # the record keeps what was held back
    with db.uow() as uow:
        draft, issued = draft_caldicott_entry(
            uow=uow, actor="lead.a", assessment_id=assessment_id, on=TODAY, renderer=RENDERER
        )
    assert draft.adviser_role == "caldicott_guardian"
    assert draft.advice == "The Caldicott guardian supports sharing."
    assert draft.decision.startswith("Assessment on 26 November 2026: share; the lead followed it")
    assert f"Case {case_id}, assessment {assessment_id}" in draft.question
    text = " ".join(" ".join(assert_marked_on_every_page(issued)).split())
    assert "Add the adviser's name before logging." in text
    no_advice = assess(db, case_id, input_data())
    with db.uow() as uow, pytest.raises(RefusedError, match="nothing for the Caldicott log"):
        draft_caldicott_entry(uow=uow, actor="lead.a", assessment_id=no_advice, on=TODAY)


class KeepsTheLayout:
    """The real renderer, which also lays the document out again to say where its boxes fall."""

    media_type = PdfRenderer.media_type

    def __init__(self) -> None:
        self.widest = 0.0
        self.page_width = 0.0

    def render(self, document: Document) -> bytes:
        from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415

        for page in HTML(string=render_html(document)).render().pages:
            self.page_width = page.width
            boxes = [page._page_box, *page._page_box.descendants()]  # WeasyPrint's laid-out boxes
            self.widest = max([self.widest, *(box.position_x + box.margin_width() for box in boxes)])
        return RENDERER.render(document)


def test_an_unbroken_run_of_text_wraps_inside_the_page_rather_than_running_off_it(db: Db) -> None:
    # A wallet address or a URL with no space in it widened its column past the page edge, and the end
    # of every value in that table was cut from the referral the police receive.
    wallet = "Wallet bc1q" + "x7k2" * 20
    made = referral(db, answers={**ANSWERS, "online_activity": wallet})
    layout = KeepsTheLayout()
    with db.uow() as uow:
        issued = issue_referral(uow=uow, actor="lead.a", case_id=made.case_id, on=TODAY, renderer=layout)
    assert layout.widest <= layout.page_width
    text = "".join("".join(assert_marked_on_every_page(issued)).split())
    assert "".join(wallet.split()) in text  # all of it, broken over lines
