"""A real SMTP server for tests: aiosmtpd on loopback, STARTTLS required with a certificate the test
makes, and a login required after it. It records what it receives and can refuse recipients, hold a
message before answering (to kill a worker mid-send), or slow down (to make workers overlap)."""

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from prevent_ig.adapters.mail.settings import SmtpSettings
from tests.ports import free_port

USERNAME = "prevent.lead@example-trust.nhs.uk"
PASSWORD = "synthetic-password-for-tests"
FROM_ADDRESS = "prevent.lead@example-trust.nhs.uk"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made fresh for the test session."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "prevent-ig test SMTP server")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """Recipient address -> SMTP reply refusing it (e.g. a 550)."""
    hold: threading.Event | None = None
    """When set to an unset event, a message is recorded, then not answered until the event is set."""
    arrived: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 -- aiosmtpd's hook name
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=envelope.original_content,
                    tls=session.ssl is not None,
                    authenticated=bool(session.authenticated),
                )
            )
        self.arrived.set()
        if self.hold is not None:
            while not self.hold.is_set():
                await asyncio.sleep(0.01)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK: queued"


class SmtpServer:
    """Start, stop and start again on the same port, as a real server going down and coming back."""

    def __init__(self, certificate: Path, key: Path, *, starttls: bool = True) -> None:
        self.port = free_port()
        self.handler = Handler()
        self.certificate = certificate
        self._key = key
        self._starttls = starttls
        self._controller: Controller | None = None
        self.logins: list[bytes] = []

    def start(self) -> None:
        assert self._controller is None
        kwargs: dict[str, Any] = {}
        if self._starttls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificate, self._key)
            kwargs = {
                "tls_context": context,
                "require_starttls": True,
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": True,
            }
        for _ in range(50):  # the port may have been released a moment ago by this server's last run
            controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
            try:
                controller.start()
            except (OSError, RuntimeError):
                time.sleep(0.05)
                continue
            self._controller = controller
            return
        raise RuntimeError(f"cannot listen on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == USERNAME.encode()
            and data.password == PASSWORD.encode()
        )
        if isinstance(data, LoginPassword):
            self.logins.append(data.login)
        return AuthResult(success=ok, handled=False)

    def settings(self, **overrides: Any) -> SmtpSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "username": USERNAME,
            "password": SecretStr(PASSWORD),
            "from_address": FROM_ADDRESS,
            "ca_file": self.certificate,
            "starttls_required": True,
            "timeout_seconds": 5,
        }
        values.update(overrides)
        return SmtpSettings(**values)

    def env(self) -> dict[str, str]:
        """The same settings as environment variables, for a worker in another process."""
        return {
            "PREVENT_IG_SMTP_HOST": "127.0.0.1",
            "PREVENT_IG_SMTP_PORT": str(self.port),
            "PREVENT_IG_SMTP_USERNAME": USERNAME,
            "PREVENT_IG_SMTP_PASSWORD": PASSWORD,
            "PREVENT_IG_SMTP_FROM_ADDRESS": FROM_ADDRESS,
            "PREVENT_IG_SMTP_CA_FILE": str(self.certificate),
            "PREVENT_IG_SMTP_TIMEOUT_SECONDS": "5",
        }

    def message_ids(self) -> list[str]:
        with self.handler.lock:
            return [r.message_id for r in self.handler.received]
