"""The record note: what was decided, when, on what basis, what went and what was held back, who advised."""

from datetime import date

from prevent_ig.domain.config import EngineConfig
from prevent_ig.domain.law import record_note, vocabulary
from prevent_ig.domain.law.engine import assess
from prevent_ig.domain.law.record_note import NoteAuthor, render_record_note
from tests.builders import REQUEST_COMPLETE, assessment, item

TODAY = date(2026, 11, 26)


def test_note_for_a_share_names_basis_released_and_withheld_items_and_adviser() -> None:
    a = assessment(
        consent={"status": "refused", "given_by": None},
        subject={"age": 16},
        items=[item("identity"), item("mental-health", "health"), item("hobbies", relevant=False)],
        ig_advice={"adviser_role": "caldicott_guardian", "supports_sharing": True},
    )
    d = assess(a, EngineConfig(), today=TODAY)
    note = render_record_note(a, d, author=NoteAuthor(name="Synthetic Lead", role="Prevent lead"))
    assert note.startswith("Prevent information-sharing decision, 2026-11-26 (prevent-ig rules version 1)")
    assert "Decision: share the information listed below." in note
    assert "Decided by: Synthetic Lead, Prevent lead." in note
    assert "Consent: refused." in note
    assert "Legal basis: UKGDPR.6.1.e, UKGDPR.9.2.g, DPA2018.Sch1.Pt2.18, CLDC.public_interest." in note
    released = note.split("Released:\n")[1].split("Withheld:")[0]
    assert "- identity:" in released and "- mental-health:" in released and "hobbies" not in released
    assert "- hobbies: Synthetic identity item (not relevant)" in note
    assert "Advice: the Caldicott guardian supports sharing." in note


def test_note_for_a_refusal_says_what_is_still_needed_and_releases_nothing() -> None:
    a = assessment(consent={"status": "not_sought", "given_by": None, "reason_not_sought": None})
    d = assess(a, EngineConfig(), today=TODAY)
    note = render_record_note(a, d)
    assert "Decision: do not share yet; seek the person's consent first." in note
    assert "Released:" not in note
    assert "Legal basis" not in note
    assert "Still needed:\n- The person's consent, or a recorded reason not to seek it." in note
    assert "Advice: none sought." in note
    assert "Decided by" not in note


def test_note_carries_the_professionals_rationale_for_the_record() -> None:
    rationale = "Synthetic: risk to others outweighs the refusal; see clinic note."
    a = assessment(consent={"status": "refused", "given_by": None}, grounds={"rationale": rationale})
    d = assess(a, EngineConfig(), today=TODAY)
    assert f"Rationale: {rationale}" in render_record_note(a, d)


def test_note_says_the_question_and_consent_in_words_not_contract_codes() -> None:
    # Read years later by someone who never saw prevent-ig: "Vulnerability Support Service", not "vss".
    a = assessment(
        kind="request_response",
        purpose="safeguarding",
        recipient={"name": "Synthetic VSS", "type": "vss", "competent_authority": False},
        request=REQUEST_COMPLETE,
        subject={"age": 15},
        consent={"status": "given", "given_by": "parent_or_guardian"},
    )
    note = render_record_note(a, assess(a, EngineConfig(), today=TODAY))
    assert (
        "Question: an answer to a request for information to Synthetic VSS (Vulnerability Support "
        "Service), for safeguarding." in note
    )
    assert "Consent: given by a parent or guardian." in note
    not_sought = assessment(consent={"status": "not_sought", "given_by": None, "reason_not_sought": "urgent"})
    assert "Consent: not sought (reason: too urgent to ask first)." in render_record_note(
        not_sought, assess(not_sought, EngineConfig(), today=TODAY)
    )


def test_every_value_of_the_contract_has_words_in_the_note() -> None:
    # A value added to the contract without words would fail the note for every decision that uses it.
    pairs = [
        (record_note.OUTCOME_WORDS, vocabulary.Outcome),
        (record_note.KIND_WORDS, vocabulary.Kind),
        (record_note.PURPOSE_WORDS, vocabulary.Purpose),
        (record_note.RECIPIENT_WORDS, vocabulary.RecipientType),
        (record_note.CONSENT_WORDS, vocabulary.ConsentStatus),
        (record_note.GIVER_WORDS, vocabulary.ConsentGiver),
        (record_note.NOT_SOUGHT_WORDS, vocabulary.ReasonNotSought),
        (record_note.WITHHELD_WORDS, vocabulary.WithheldReason),
        (record_note.ADVISER_WORDS, vocabulary.AdviserRole),
    ]
    for words, values in pairs:
        assert set(words) == set(values), values.__name__
        assert all("_" not in said for said in words.values()), values.__name__
