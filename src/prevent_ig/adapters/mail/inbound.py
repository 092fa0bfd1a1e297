"""Read a partner's request email (an ``.eml`` file) with the standard library's ``email`` package.

Anyone can send an email, so the file is treated as hostile: it is size-checked before it is parsed,
every structural defect the parser notices is an error, attached emails and deep nesting are refused,
text must decode strictly in the character set it declares, and attachments are kept as bytes and
never opened. A problem is reported against the header or part it concerns, and nothing is imported:
an email the lead cannot fully trust should be read in the mail client and typed in.
"""

import codecs
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.errors import MessageDefect, MessageError
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser

from prevent_ig.domain.transmit.secure_email import MalformedAddressError, parse_address

MAX_EMAIL_BYTES = 20 * 1024 * 1024
MAX_PARTS = 100
MAX_ATTACHMENTS = 20
MAX_DEPTH = 3
"""multipart/mixed > multipart/alternative > multipart/related is as deep as ordinary mail goes."""
MAX_BODY_CHARACTERS = 200_000
MAX_FILENAME = 150
REQUIRED_HEADERS = ("From", "Date", "Subject")

# Errors the standard library's email package raises on malformed input when a header or payload is
# read (it parses lazily). Caught only around those reads, and turned into a clear error.
_PARSE_ERRORS = (ValueError, LookupError, TypeError, AttributeError, MessageError)


class MalformedEmailError(ValueError):
    """The email cannot be imported; ``field`` names the header or part at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEmail:
    sender_address: str
    sender_name: str | None
    subject: str
    sent_at: datetime | None
    """From the Date header, in UTC without a time zone (as the database keeps times)."""
    message_id: str | None
    body: str
    attachments: tuple[InboundAttachment, ...]
    sha256: str


def parse_request_email(raw: bytes, *, max_bytes: int = MAX_EMAIL_BYTES) -> InboundEmail:
    if len(raw) > max_bytes:
        raise MalformedEmailError(
            "file", f"is {_megabytes(len(raw))}; emails over {_megabytes(max_bytes)} are refused"
        )
    if not raw.strip():
        raise MalformedEmailError("file", "is empty")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:  # thousands of parts inside parts: the parser itself gives up
        raise MalformedEmailError("file", f"nests parts more than {MAX_DEPTH} levels deep") from None
    if not isinstance(message, EmailMessage):  # always true with policy.default; narrows the type
        raise MalformedEmailError("file", "is not an email message")
    # Each read names its own header or part when the email package fails on it, so the lead knows
    # which part of the email is at fault.
    with _reading("From"):
        sender, name = _sender(message)
    with _reading("Date"):
        sent_at = _date(message)
    with _reading("Subject"):
        subject = _single(message, "Subject")
        _check_defects("Subject", message["Subject"].defects)
    with _reading("Message-ID"):
        message_id = _optional(message, "Message-ID")
    collected = _Collector()
    with _reading("message"):
        collected.visit(message, depth=0)
    # Encoded words and transfer encodings can spell a NUL that the raw bytes do not show
    # (=?utf-8?q?OFFICIAL=00request?=, please=00share): PostgreSQL cannot store it in text, and no
    # genuine email has one. The parts' text was checked as it was decoded (_decode).
    _refuse_nul("Subject", subject)
    _refuse_nul("From", name or "")
    _refuse_nul("Message-ID", message_id or "")
    return InboundEmail(
        sender_address=sender,
        sender_name=name,
        subject=" ".join(subject.split()),
        sent_at=sent_at,
        message_id=message_id,
        body=collected.body(),
        attachments=tuple(collected.attachments),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _single(message: EmailMessage, name: str) -> str:
    values = message.get_all(name)
    if not values:
        raise MalformedEmailError(name, "header is missing")
    if len(values) > 1:
        raise MalformedEmailError(name, f"header appears {len(values)} times; a genuine email has one")
    return str(values[0])


def _optional(message: EmailMessage, name: str) -> str | None:
    values = message.get_all(name) or []
    if len(values) > 1:
        raise MalformedEmailError(name, f"header appears {len(values)} times; a genuine email has one")
    return str(values[0]).strip() or None if values else None


@contextmanager
def _reading(field: str) -> Iterator[None]:
    """Turn the email package's own errors while reading ``field`` into an error naming it."""
    try:
        yield
    except MalformedEmailError:
        raise
    except _PARSE_ERRORS as error:
        raise MalformedEmailError(field, f"cannot be read ({type(error).__name__})") from None


def _sender(message: EmailMessage) -> tuple[str, str | None]:
    _single(message, "From")
    header = message["From"]
    _check_defects("From", header.defects)
    addresses: tuple[Address, ...] = header.addresses
    if len(addresses) != 1:
        raise MalformedEmailError("From", f"names {len(addresses)} senders; expected exactly one")
    try:
        parsed = parse_address(addresses[0].addr_spec)
    except MalformedAddressError as error:
        raise MalformedEmailError("From", f"is not a valid email address: {error}") from None
    # The xn-- form of an internationalised domain, which the draft's request keeps to write back to.
    return parsed.idna_address, addresses[0].display_name or None


def _date(message: EmailMessage) -> datetime | None:
    _single(message, "Date")
    header = message["Date"]
    moment: datetime | None = header.datetime
    if moment is None or header.defects:
        raise MalformedEmailError("Date", "cannot be read as a date")
    if moment.tzinfo is None:  # "-0000": the time is UTC, the sender's zone unknown (RFC 5322 §3.3)
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 31 Dec 9999 in a zone west of UTC is past the last date there is
        raise MalformedEmailError("Date", "cannot be read as a date") from None


def _check_defects(where: str, defects: list[MessageDefect]) -> None:
    if defects:
        raise MalformedEmailError(where, f"is malformed ({_defect_words(defects[0])})")


def _defect_words(defect: MessageDefect) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


class _Collector:
    """Walks the MIME tree once: finds the body text and the attachments, refuses what is hostile."""

    def __init__(self) -> None:
        self.parts = 0
        self.plain: str | None = None
        self.html: str | None = None
        self.attachments: list[InboundAttachment] = []

    def visit(self, part: Message, *, depth: int) -> None:
        self.parts += 1
        where = "message" if depth == 0 else f"part {self.parts}"
        if self.parts > MAX_PARTS:
            raise MalformedEmailError("message", f"has more than {MAX_PARTS} parts")
        _check_defects(where, part.defects)
        content_type = part.get_content_type()
        if content_type.startswith("message/"):
            raise MalformedEmailError(
                where, "is an attached email; forward its content as a plain email or a document instead"
            )
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                raise MalformedEmailError(where, f"nests parts more than {MAX_DEPTH} levels deep")
            payload = part.get_payload()
            if not isinstance(payload, list):
                raise MalformedEmailError(where, "is a multipart with no parts")
            for child in payload:
                if not isinstance(child, Message):
                    raise MalformedEmailError(where, "has a part that is not a MIME part")
                self.visit(child, depth=depth + 1)
            return
        self._leaf(part, where)

    def _leaf(self, part: Message, where: str) -> None:
        content = part.get_payload(decode=True)
        _check_defects(where, part.defects)  # decoding base64 or quoted-printable records defects
        data = content if isinstance(content, bytes) else b""
        content_type = part.get_content_type()
        _refuse_nul(where, content_type)
        is_attachment = part.get_content_disposition() == "attachment" or part.get_filename() is not None
        if not is_attachment and content_type == "text/plain" and self.plain is None:
            self.plain = _decode(part, data, where)
        elif not is_attachment and content_type == "text/html" and self.html is None:
            self.html = _html_to_text(_decode(part, data, where))
        else:
            if len(self.attachments) >= MAX_ATTACHMENTS:
                raise MalformedEmailError("message", f"has more than {MAX_ATTACHMENTS} attachments")
            self.attachments.append(
                InboundAttachment(
                    filename=_safe_filename(part.get_filename(), len(self.attachments) + 1),
                    content_type=content_type[:200],
                    content=data,
                )
            )

    def body(self) -> str:
        text = self.plain if self.plain is not None else (self.html or "")
        text = text.replace("\r\n", "\n").strip()
        if len(text) > MAX_BODY_CHARACTERS:
            raise MalformedEmailError("body", f"is longer than {MAX_BODY_CHARACTERS:,} characters")
        return text


def _decode(part: Message, data: bytes, where: str) -> str:
    charset = part.get_content_charset() or "us-ascii"
    try:
        codecs.lookup(charset)
    except LookupError:
        raise MalformedEmailError(where, f"declares an unknown character set {charset!r}") from None
    try:
        text = data.decode(charset)
    except UnicodeDecodeError:
        raise MalformedEmailError(where, f"is not valid {charset} text, although it says it is") from None
    _refuse_nul(where, text)  # an HTML &#0; becomes U+FFFD, never a NUL, so the decoded text is enough
    return text


def _refuse_nul(where: str, text: str) -> None:
    if "\x00" in text:
        raise MalformedEmailError(where, "contains a NUL character, which no genuine email has")


def _safe_filename(name: str | None, number: int) -> str:
    """A name safe to show and to save: no folders, no control characters, not too long."""
    if name:
        name = re.split(r"[\\/]", name)[-1]
        name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    if not name:
        return f"attachment-{number}"
    if len(name) > MAX_FILENAME:
        _stem, dot, extension = name.rpartition(".")
        keep = extension[:10] if dot else ""
        name = name[: MAX_FILENAME - len(keep) - 1] + ("." + keep if keep else "")
    return name


class _TextOfHtml(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


# CPython's HTMLParser before 3.11.13 rescans the rest of the document from each construct it cannot
# finish (CVE-2025-6069): 36 KB of "<a " took 18 s, and a web upload held every other request up
# meanwhile. What it could not finish is settled first, in one pass each: comments and CDATA sections
# go (they hold no words to show), and a "<" that no ">" closes before the next "<" is text.
_COMMENTS = re.compile(r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)", re.DOTALL)
_UNCLOSED = re.compile(r"<(?=[^<>]*(?:<|\Z))")


def _html_to_text(html: str) -> str:
    """Only the words of an HTML body: no markup, scripts or styles reach the lead's screen."""
    parser = _TextOfHtml()
    parser.feed(_UNCLOSED.sub("&lt;", _COMMENTS.sub(" ", html)))
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).splitlines())
    return "\n".join(line for line in lines if line)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
