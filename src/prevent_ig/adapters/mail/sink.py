"""A local mail sink for demonstrations: an SMTP server on the loopback interface that keeps every
message it receives as an ``.eml`` file, so the app can show what it "sent".

It behaves like the real thing where it matters (STARTTLS with its own certificate, and a login), so
a demonstration runs the same worker code, with the same settings, as production. It listens on
loopback only: it is not a relay and must never face a network. ``aiosmtpd`` is a development
dependency and is imported only when a sink starts.
"""

import datetime as dt
import ipaddress
import logging
import os
import secrets
import ssl
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from prevent_ig.adapters.mail.settings import SmtpSettings

CERTIFICATE = "sink-certificate.pem"
KEY = "sink-key.pem"
SUFFIX = ".eml"


class SinkError(RuntimeError):
    """The sink cannot start; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SinkMessage:
    """Headers only: enough to list what went out without opening the attachment."""

    filename: str
    envelope_to: str
    subject: str
    message_id: str
    date: str
    attachments: tuple[str, ...]
    size: int


class DemoMailSink:
    def __init__(
        self, directory: Path, *, host: str = "127.0.0.1", port: int = 8025, username: str = "demo"
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise SinkError(f"the demo sink listens on loopback only, not {host}")
        self.directory = directory
        self.host = host
        self.port = port
        self.username = username
        self.password = secrets.token_urlsafe(16)
        self._controller: Any = None

    def start(self) -> SmtpSettings:
        """Start listening; returns the settings a worker uses to send to this sink."""
        try:
            from aiosmtpd.controller import Controller  # noqa: PLC0415 -- dev dependency, demo only
            from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: PLC0415
        except ImportError:
            raise SinkError("the demo sink needs aiosmtpd: pip install -e '.[dev]'") from None
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # aiosmtpd logs every envelope address at INFO; the app's own log keeps to ids.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        certificate, key = make_certificate(self.directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
        expected = (self.username.encode(), self.password.encode())

        def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and secrets.compare_digest(
                data.login + b"\0" + data.password, expected[0] + b"\0" + expected[1]
            )
            return AuthResult(success=ok, handled=False)

        self._controller = Controller(
            _Keeper(self.directory),
            hostname=self.host,
            port=self.port,
            tls_context=context,
            require_starttls=True,
            authenticator=authenticate,
            auth_required=True,
            auth_require_tls=True,
        )
        try:
            self._controller.start()
        except OSError as error:
            raise SinkError(f"cannot listen on {self.host}:{self.port}: {error.strerror}") from None
        return SmtpSettings(
            host=self.host,
            port=self.port,
            username=self.username,
            password=SecretStr(self.password),
            ca_file=certificate,
            starttls_required=True,
            timeout_seconds=10,
        )

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class _Keeper:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        target = self.directory / f"{stamp}-{secrets.token_hex(4)}{SUFFIX}"
        partial = target.with_suffix(".part")
        content = b"X-Sink-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content + envelope.original_content)
        partial.replace(target)  # whole files only: a reader never sees half a message
        return "250 Message kept by the prevent-ig demo sink"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made once and reused."""
    certificate, key = directory / CERTIFICATE, directory / KEY
    if certificate.exists() and key.exists():
        return certificate, key
    from cryptography import x509  # noqa: PLC0415 -- only when a sink first starts
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "prevent-ig demo mail sink")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return certificate, key


def list_sink_messages(directory: Path) -> list[SinkMessage]:
    """What the sink holds, newest first, for the app to show."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob(f"*{SUFFIX}"), reverse=True):
        raw = path.read_bytes()
        message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=False)
        attachments = tuple(
            part.get_filename() or "(unnamed)"
            for part in message.walk()
            if not part.is_multipart() and part.get_content_disposition() == "attachment"
        )
        found.append(
            SinkMessage(
                filename=path.name,
                envelope_to=str(message.get("X-Sink-Envelope-To", "")),
                subject=str(message.get("Subject", "")),
                message_id=str(message.get("Message-ID", "")),
                date=str(message.get("Date", "")),
                attachments=attachments,
                size=len(raw),
            )
        )
    return found


def read_sink_message(directory: Path, filename: str) -> bytes:
    """One kept message's bytes; the name must be one the sink wrote (no paths)."""
    if "/" in filename or "\\" in filename or not filename.endswith(SUFFIX):
        raise SinkError(f"{filename!r} is not a message in the sink")
    path = directory / filename
    if not path.is_file():
        raise SinkError(f"{filename!r} is not a message in the sink")
    return path.read_bytes()
