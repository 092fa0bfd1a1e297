"""Composing an email that carries a document, from the decision that allows it.

The rules sit here, not in the mail adapter, so they hold whatever sends the message: only a
decision to share may be sent; only to the recipient that decision assessed; the subject starts with
the protective marking, and carries ``[secure]`` when the recipient's domain is not secure (guidance
Diagram 2). Subject and body carry references only, never anything about the person.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from prevent_ig.domain.documents.model import OFFICIAL_SENSITIVE
from prevent_ig.domain.law.vocabulary import Outcome
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, check_email, parse_address

SECURE_TAG = "[secure]"
ASCII_ADDRESSES_ONLY = (
    "must be written in ASCII letters: secure email cannot carry other letters in an address "
    "(for an internationalised domain, give its xn-- form)"
)
"""Why an address with other letters is refused, sender's or recipient's: secure relays (NHSmail among
them) carry no internationalised addresses (SMTPUTF8)."""
PDF = "application/pdf"


class CompositionRefusedError(ValueError):
    """The message may not be composed; ``field`` names what is wrong. ``malformed`` tells a typing
    mistake (fix the input) from a refusal by the rules (assess first)."""

    def __init__(self, field: str, message: str, *, malformed: bool = False) -> None:
        self.field = field
        self.message = message
        self.malformed = malformed
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Addressing:
    to: str
    """Normalised, with the domain in its ASCII (xn--) form, and the same mailbox the decision assessed."""
    secure_domain: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposedMessage:
    to: str
    subject: str
    body: str
    attachment: Attachment
    secure_domain: bool


def address_message(
    *,
    outcome: Outcome,
    lead_followed: bool,
    assessment_id: int,
    assessed_recipient: str | None,
    to: str,
    accredited_domains: Iterable[str],
) -> Addressing:
    """May this decision be sent to ``to``? Checked before any document is produced."""
    if outcome is not Outcome.SHARE or not lead_followed:
        raise CompositionRefusedError(
            "assessment",
            f"assessment {assessment_id} does not authorise sharing (outcome {outcome.value}"
            f"{'' if lead_followed else ', and the lead departed from it'}); nothing may be sent",
        )
    try:
        address = parse_address(to)
    except MalformedAddressError as error:
        raise CompositionRefusedError(
            "to", f"is not a valid email address: {error}", malformed=True
        ) from None
    if not to.isascii():
        # Secure email relays (NHSmail among them) carry no internationalised addresses (SMTPUTF8):
        # queued, such a message could never be handed over. Judged on what was given, not on the
        # normalised address, which spells an xn-- domain in Unicode again.
        raise CompositionRefusedError("to", ASCII_ADDRESSES_ONLY, malformed=True)
    if assessed_recipient is None:
        raise CompositionRefusedError(
            "to", f"assessment {assessment_id} names no email address for the recipient; assess one first"
        )
    assessed = parse_address(assessed_recipient)
    if address.address.casefold() != assessed.address.casefold():
        raise CompositionRefusedError(
            "to",
            f"is not the recipient assessed in assessment {assessment_id}; a different recipient "
            "needs its own assessment",
        )
    check = check_email(address.idna_address, accredited_domains=accredited_domains)
    return Addressing(to=address.idna_address, secure_domain=check.secure)


def compose_message(
    addressing: Addressing, *, title: str, reference: str, attachment: Attachment
) -> ComposedMessage:
    subject = f"{OFFICIAL_SENSITIVE}: {title} ({reference})"
    if not addressing.secure_domain:
        subject += f" {SECURE_TAG}"
    return ComposedMessage(
        to=addressing.to,
        subject=subject,
        body=_body(title, reference),
        attachment=attachment,
        secure_domain=addressing.secure_domain,
    )


def _body(title: str, reference: str) -> str:
    return (
        f"{OFFICIAL_SENSITIVE}\n"
        "\n"
        f"Attached: {title}, reference {reference}.\n"
        "\n"
        f"The attachment is marked {OFFICIAL_SENSITIVE}. Open and keep it only on systems approved for "
        "that marking, and share it only with people who need it for the purpose it states.\n"
        "\n"
        "If this message reached you in error, tell the sender and delete it without reading further.\n"
        "\n"
        f"{OFFICIAL_SENSITIVE}\n"
    )
