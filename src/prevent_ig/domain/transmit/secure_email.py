"""Is this email address secure for Prevent information (guidance §4, Diagram 2; NHS DCB1596)?

The domain is compared whole label by whole label: ``leeds.gov.uk`` ends with the labels of
``gov.uk``, while ``evilgov.uk`` and ``gov.uk.example.com`` do not, which defeats look-alike domains.
Addresses are parsed by ``email-validator`` with DNS look-ups off: the answer must not depend on the
network, and offline a look-up would wrongly say ``nhs.net`` does not exist.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

NATIONALLY_SECURE_DOMAINS: frozenset[str] = frozenset(
    {"nhs.net", "gov.uk", "cjsm.net", "pnn.police.uk", "mod.uk", "parliament.uk"}
)


class MalformedAddressError(ValueError):
    """The text is not a well-formed email address; the message says why."""


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    address: str
    """Normalised, with an internationalised domain spelled in Unicode (``bücher.example``)."""
    domain: str
    """Lower case, IDNA (ASCII) form, no trailing dot: the form that is matched."""
    idna_address: str
    """The normalised local part at ``domain``: the form SMTP and message headers carry, since secure
    relays take no Unicode domain (SMTPUTF8). Plain ASCII only when the local part is."""


@dataclass(frozen=True, slots=True)
class EmailCheck:
    address: str
    domain: str
    secure: bool

    @property
    def requires_secure_tag(self) -> bool:
        """Anything not secure needs ``[secure]`` in the subject line."""
        return not self.secure


@lru_cache(maxsize=4096)
def parse_address(address: str) -> ParsedAddress:
    """Normalise an address; a trailing dot on the domain (a fully qualified name) is dropped."""
    text = address
    if text.endswith("."):
        text = text[:-1]
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise MalformedAddressError(str(error)) from None
    domain = result.ascii_domain.lower()
    return ParsedAddress(
        address=result.normalized, domain=domain, idna_address=f"{result.local_part}@{domain}"
    )


def domain_is_within(domain: str, parent: str) -> bool:
    """True when ``domain`` is ``parent`` or a subdomain of it, compared by whole labels."""
    return domain == parent or domain.endswith("." + parent)


def is_secure_domain(domain: str, extra_secure_domains: Iterable[str]) -> bool:
    candidates = (*NATIONALLY_SECURE_DOMAINS, *extra_secure_domains)
    return any(domain_is_within(domain, parent) for parent in candidates)


def check_email(address: str, *, accredited_domains: Iterable[str] = ()) -> EmailCheck:
    """Classify an address; ``accredited_domains`` are the DCB1596 domains valid today."""
    parsed = parse_address(address)
    return EmailCheck(
        address=parsed.address,
        domain=parsed.domain,
        secure=is_secure_domain(parsed.domain, accredited_domains),
    )
