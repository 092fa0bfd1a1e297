"""Turn a composed message into the exact bytes the outbox stores and every attempt sends.

The Message-ID is made here, once, when the message is queued: a repeat after a crash then carries
the same Message-ID, so the recipient's system can recognise and drop the duplicate. Lines end in
CRLF because ``smtplib`` sends bytes exactly as given.
"""

import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from prevent_ig.domain.documents.messages import ComposedMessage


def new_message_id(from_address: str) -> str:
    """A globally unique Message-ID in the sender's own domain (RFC 5322 §3.6.4)."""
    domain = from_address.rsplit("@", 1)[1]
    return f"<{uuid.uuid4().hex}.prevent-ig@{domain}>"


def build_mime(message: ComposedMessage, *, from_address: str, message_id: str, sent_at: datetime) -> bytes:
    mime = EmailMessage(policy=policy.SMTP)
    mime["From"] = from_address
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(sent_at.astimezone(UTC))
    mime["Message-ID"] = message_id
    mime.set_content(message.body, cte="quoted-printable")
    maintype, subtype = message.attachment.media_type.split("/", 1)
    mime.add_attachment(
        message.attachment.content,
        maintype=maintype,
        subtype=subtype,
        filename=message.attachment.filename,
    )
    return mime.as_bytes()
