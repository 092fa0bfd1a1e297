"""What an incoming request email suggests about the §5 checklist, for the lead to confirm.

A request counts as coming by a secure channel when the sender's domain is a secure one and the
message carries a protective marking. Both facts come from headers and text that anyone can forge,
so this is only ever a proposal: the lead confirms it before the request is recorded.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from prevent_ig.domain.transmit.secure_email import check_email

# Markings are written in capitals; lower-case "official" is ordinary prose ("an official request").
_MARKING = re.compile(r"\bOFFICIAL(?:[ \t]*[-‐‑–—:]?[ \t]*(SENSITIVE))?\b")


def find_marking(*texts: str) -> str | None:
    """``OFFICIAL-SENSITIVE`` or ``OFFICIAL`` if any text carries that marking, else None."""
    found: str | None = None
    for text in texts:
        for match in _MARKING.finditer(text):
            if match.group(1):
                return "OFFICIAL-SENSITIVE"
            found = "OFFICIAL"
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelProposal:
    secure_domain: bool
    sender_domain: str
    marking: str | None
    secure_channel: bool

    @property
    def explanation(self) -> str:
        """The proposal and the two facts behind it, in words the lead can check."""
        secure = "is a secure one" if self.secure_domain else "is not a secure one"
        marking = (
            f"the message is marked {self.marking}"
            if self.marking
            else "the message carries no protective marking"
        )
        return (
            f"{'Proposed' if self.secure_channel else 'Not proposed'} as a secure channel: the sender's "
            f"domain {self.sender_domain} {secure}, and {marking}. Email headers can be forged: confirm "
            "with the sender if in doubt."
        )


def propose_secure_channel(
    *, sender: str, subject: str, body: str, accredited_domains: Iterable[str]
) -> ChannelProposal:
    check = check_email(sender, accredited_domains=accredited_domains)
    marking = find_marking(subject, body)
    return ChannelProposal(
        secure_domain=check.secure,
        sender_domain=check.domain,
        marking=marking,
        secure_channel=check.secure and marking is not None,
    )
