"""Mail settings, read from the environment by entrypoints only (prefixes ``PREVENT_IG_SMTP_`` and
``PREVENT_IG_OUTBOX_``). Defaults suit NHSmail; see docs/mail.md for the values to use.
"""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from prevent_ig.domain.documents.messages import ASCII_ADDRESSES_ONLY
from prevent_ig.domain.transmit.secure_email import MalformedAddressError, parse_address

NHSMAIL_HOST = "send.nhs.net"
SUBMISSION_PORT = 587


class MailSettingsError(ValueError):
    """A mail setting is missing or wrong; the message names the variable."""


class SmtpSettings(BaseSettings):
    """How the outbox worker reaches the organisation's mail server (NHSmail: send.nhs.net:587)."""

    model_config = SettingsConfigDict(env_prefix="PREVENT_IG_SMTP_", extra="ignore", env_ignore_empty=True)

    host: str | None = Field(
        default=None,
        description=f"SMTP submission server, e.g. {NHSMAIL_HOST} for NHSmail. Unset: no mail is sent.",
    )
    port: int = Field(default=SUBMISSION_PORT, ge=1, le=65535, description="587 (submission) for NHSmail.")
    username: str | None = Field(
        default=None, description="Account to authenticate as; for NHSmail the full nhs.net address."
    )
    password: SecretStr | None = Field(default=None, description="That account's password.")
    from_address: str | None = Field(
        default=None,
        description="The From address; for NHSmail that nhs.net mailbox, or a shared one it may send as.",
    )
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of certificate authorities to trust for STARTTLS; default: the system's.",
    )
    starttls_required: bool = Field(
        default=True,
        description="Refuse to send unless the server offers STARTTLS. Never turn off for real mail.",
    )
    timeout_seconds: float = Field(default=60.0, gt=0, le=600, description="Per SMTP operation.")

    def checked_host(self) -> str:
        if not self.host:
            raise MailSettingsError("PREVENT_IG_SMTP_HOST is not set: say which SMTP server to send through")
        return self.host

    def check_credentials(self) -> None:
        """Refuse credentials smtplib cannot send: it encodes the login as ASCII, so a password with
        a £ in it failed at every attempt, long after the worker had started."""
        if self.username is not None and not self.username.isascii():
            raise MailSettingsError(
                "PREVENT_IG_SMTP_USERNAME: must be written in ASCII letters; SMTP login cannot carry others"
            )
        if self.password is not None and not self.password.get_secret_value().isascii():
            raise MailSettingsError(  # never the password itself, nor which character
                "PREVENT_IG_SMTP_PASSWORD: must be written in ASCII characters (no £, € or accented "
                "letters); SMTP login cannot carry others, so change the mailbox's password"
            )

    def checked_from_address(self) -> str:
        if not self.from_address:
            raise MailSettingsError("PREVENT_IG_SMTP_FROM_ADDRESS is not set: say which mailbox sends")
        if not self.from_address.isascii():
            # As for a recipient (domain.documents.messages): secure relays carry no internationalised
            # addresses (SMTPUTF8), and the message's From header could not even be written, so every
            # send would fail on it.
            raise MailSettingsError(f"PREVENT_IG_SMTP_FROM_ADDRESS: {ASCII_ADDRESSES_ONLY}")
        try:
            parsed = parse_address(self.from_address)
        except MalformedAddressError as error:
            raise MailSettingsError(f"PREVENT_IG_SMTP_FROM_ADDRESS: {error}") from None
        # The normalised address spells an xn-- domain in Unicode again; keep the ASCII form given.
        return parsed.idna_address


class OutboxSettings(BaseSettings):
    """How the outbox worker paces itself and how long it keeps trying."""

    model_config = SettingsConfigDict(env_prefix="PREVENT_IG_OUTBOX_", extra="ignore", env_ignore_empty=True)

    poll_seconds: float = Field(default=5.0, gt=0, le=3600, description="Pause when nothing is due.")
    lease_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How long a claimed message is reserved for one worker. A worker that dies mid-send "
        "leaves it reserved this long, then another worker sends it again. Keep it well above the SMTP "
        "timeout, or a slow send may be repeated.",
    )
    retry_base_seconds: float = Field(default=60.0, gt=0, description="Wait after the first failure.")
    retry_max_seconds: float = Field(default=3600.0, gt=0, description="Longest wait between attempts.")
    max_attempts: int = Field(
        default=40,
        ge=1,
        description="Attempts before a message is marked failed for a person to act on (40 is about 1.5 "
        "days with the default waits).",
    )
