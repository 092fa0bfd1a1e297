"""Composing a message from a decision, and the bytes the outbox stores: no database, no network."""

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from prevent_ig.adapters.mail.mime import build_mime, new_message_id
from prevent_ig.domain.config import normalise_domain
from prevent_ig.domain.documents.messages import (
    ASCII_ADDRESSES_ONLY,
    PDF,
    Addressing,
    Attachment,
    CompositionRefusedError,
    address_message,
    compose_message,
)
from prevent_ig.domain.law.vocabulary import Outcome

ATTACHMENT = Attachment(filename="PIG-REF-000001.pdf", media_type=PDF, content=b"%PDF-1.7 synthetic")
XN_RECIPIENT = "prevent@xn--trst-0ra.example.nhs.uk"
"""An internationalised domain (türst.example.nhs.uk) in the xn-- form the refusal asks for."""


def addressed(
    to: str,
    *,
    assessed: str | None = None,
    outcome: Outcome = Outcome.SHARE,
    followed: bool = True,
    accredited: tuple[str, ...] = (),
) -> Addressing:
    return address_message(
        outcome=outcome,
        lead_followed=followed,
        assessment_id=4,
        assessed_recipient=assessed if assessed is not None else to,
        to=to,
        accredited_domains=accredited,
    )


@pytest.mark.parametrize(
    ("to", "tagged"),
    [
        ("prevent@northshire.pnn.police.uk", False),
        ("channel@leeds.gov.uk", False),
        ("someone@nhs.net", False),
        ("channel@northshire-council.org.uk", True),
        ("someone@trust.nhs.uk", True),  # nhs.uk is not secure unless accredited
        ("x@evilgov.uk", True),
    ],
)
def test_subject_starts_with_the_marking_and_carries_secure_only_when_the_domain_is_not_secure(
    to: str, tagged: bool
) -> None:
    message = compose_message(
        addressed(to), title="Prevent referral", reference="PIG-REF-000001", attachment=ATTACHMENT
    )
    assert message.subject.startswith("OFFICIAL-SENSITIVE")
    assert ("[secure]" in message.subject) is tagged
    assert message.secure_domain is not tagged
    assert "PIG-REF-000001" in message.subject and "PIG-REF-000001" in message.body


def test_an_accredited_domain_needs_no_tag() -> None:
    message = compose_message(
        addressed("someone@trust.nhs.uk", accredited=("trust.nhs.uk",)),
        title="Prevent referral",
        reference="PIG-REF-000002",
        attachment=ATTACHMENT,
    )
    assert "[secure]" not in message.subject


@pytest.mark.parametrize("outcome", [o for o in Outcome if o is not Outcome.SHARE])
def test_only_a_decision_to_share_may_be_sent(outcome: Outcome) -> None:
    with pytest.raises(CompositionRefusedError) as caught:
        addressed("prevent@northshire.pnn.police.uk", outcome=outcome)
    assert caught.value.field == "assessment" and not caught.value.malformed


def test_a_share_the_lead_departed_from_may_not_be_sent() -> None:
    with pytest.raises(CompositionRefusedError, match="departed"):
        addressed("prevent@northshire.pnn.police.uk", followed=False)


def test_only_the_assessed_recipient_may_receive_it() -> None:
    with pytest.raises(CompositionRefusedError) as caught:
        addressed("prevent@southshire.pnn.police.uk", assessed="prevent@northshire.pnn.police.uk")
    assert caught.value.field == "to" and "not the recipient assessed in assessment 4" in caught.value.message
    # the same mailbox, written differently, is the same recipient
    assert addressed("Prevent@NorthShire.pnn.police.uk", assessed="prevent@northshire.pnn.police.uk").to
    with pytest.raises(CompositionRefusedError) as malformed:
        addressed("not an address", assessed="prevent@northshire.pnn.police.uk")
    assert malformed.value.malformed
    with pytest.raises(CompositionRefusedError, match="names no email address"):
        address_message(
            outcome=Outcome.SHARE,
            lead_followed=True,
            assessment_id=4,
            assessed_recipient=None,
            to="prevent@northshire.pnn.police.uk",
            accredited_domains=(),
        )


@pytest.mark.parametrize("to", ["josé@northshire.pnn.police.uk", "prevent@türst.example.nhs.uk"])
def test_an_address_outside_ascii_is_refused_before_anything_is_queued(to: str) -> None:
    # No secure email relay carries it (no SMTPUTF8): queued, it stopped the mail worker for good.
    with pytest.raises(CompositionRefusedError) as caught:
        addressed(to)
    assert caught.value.field == "to" and caught.value.malformed
    assert caught.value.message == ASCII_ADDRESSES_ONLY and "xn--" in caught.value.message


@pytest.mark.parametrize(
    "assessed", [XN_RECIPIENT, "prevent@türst.example.nhs.uk", "Prevent@XN--TRST-0RA.Example.NHS.uk"]
)
def test_an_internationalised_domain_in_its_xn_form_is_addressed_and_sent_in_that_form(assessed: str) -> None:
    """The form the refusal above asks for was refused too: the normalised address spells the domain in
    Unicode again. However the assessment wrote the domain, the message goes to the ASCII form."""
    addressing = addressed(XN_RECIPIENT, assessed=assessed)
    assert addressing.to == XN_RECIPIENT and not addressing.secure_domain
    message = compose_message(
        addressing, title="Prevent referral", reference="PIG-REF-000003", attachment=ATTACHMENT
    )
    assert message.to == XN_RECIPIENT and message.subject.endswith("[secure]")
    raw = build_mime(
        message,
        from_address="prevent.lead@example-trust.nhs.uk",
        message_id=new_message_id("prevent.lead@example-trust.nhs.uk"),
        sent_at=datetime(2026, 11, 26, 10, 30, tzinfo=UTC),
    )
    assert raw.isascii()
    assert BytesParser(policy=policy.default).parsebytes(raw)["To"] == XN_RECIPIENT


@pytest.mark.parametrize("registered", ["xn--trst-0ra.example.nhs.uk", "Türst.Example.NHS.uk."])
def test_an_accredited_internationalised_domain_needs_no_tag_however_it_was_registered(
    registered: str,
) -> None:
    # The register keeps a domain in its xn-- form, whichever spelling was entered; the recipient's
    # domain must be judged in that same form.
    accredited = (normalise_domain(registered),)
    message = compose_message(
        addressed(XN_RECIPIENT, accredited=accredited),
        title="Prevent referral",
        reference="PIG-REF-000004",
        attachment=ATTACHMENT,
    )
    assert message.secure_domain and "[secure]" not in message.subject
    assert addressed("desk@ward.xn--trst-0ra.example.nhs.uk", accredited=accredited).secure_domain


def test_stored_bytes_carry_the_headers_the_attachment_and_crlf_line_ends() -> None:
    message = compose_message(
        addressed("channel@northshire-council.org.uk"),
        title="Prevent referral",
        reference="PIG-REF-000001",
        attachment=ATTACHMENT,
    )
    message_id = new_message_id("prevent.lead@example-trust.nhs.uk")
    assert message_id.startswith("<") and message_id.endswith("@example-trust.nhs.uk>")
    raw = build_mime(
        message,
        from_address="prevent.lead@example-trust.nhs.uk",
        message_id=message_id,
        sent_at=datetime(2026, 11, 26, 10, 30, tzinfo=UTC),
    )
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Message-ID"] == message_id
    assert parsed["Subject"] == "OFFICIAL-SENSITIVE: Prevent referral (PIG-REF-000001) [secure]"
    assert parsed["From"] == "prevent.lead@example-trust.nhs.uk"
    assert parsed["To"] == "channel@northshire-council.org.uk"
    assert parsed["Date"] == "Thu, 26 Nov 2026 10:30:00 +0000"
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "PIG-REF-000001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == ATTACHMENT.content
    assert new_message_id("a@example.org") != new_message_id("a@example.org")
