"""Deliver one stored message over SMTP with STARTTLS and authentication (NHSmail's submission
service: send.nhs.net, port 587).

Failures are sorted into transient (try again later) and permanent (a person must act). Anything
about the connection, TLS or our own credentials is transient: the message is not at fault, and
once the setting or the server is fixed it goes out without anyone re-sending it. A password is
never sent over a connection that is not encrypted.

A server that asks for a login we did not give (530, or an enhanced status 5.7.57, or 5.7.0 saying
authentication is required) refuses us, not the message: that too is transient, for the settings to be
fixed.
"""

import contextlib
import re
import smtplib
import ssl

from prevent_ig.adapters.mail.errors import PermanentDeliveryError, TransientDeliveryError
from prevent_ig.adapters.mail.settings import MailSettingsError, SmtpSettings

PERMANENT_FROM = 500
MAX_REPLY = 300
AUTHENTICATION_REQUIRED = 530
"""RFC 4954 §6: the server will not take mail from us until we log in."""
CLIENT_NOT_AUTHENTICATED = "5.7.57"
"""Microsoft 365's enhanced status for the same ("client not authenticated"); NHSmail runs on it."""
_ENHANCED_STATUS = re.compile(r"\s*([245]\.\d{1,3}\.\d{1,3})\b")
CREDENTIALS = "PREVENT_IG_SMTP_USERNAME and PREVENT_IG_SMTP_PASSWORD"


class SmtpTransport:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._host = settings.checked_host()
        settings.check_credentials()
        self._context = _tls_context(settings)
        self._context.minimum_version = ssl.TLSVersion.TLSv1_2

    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        s = self._settings
        try:
            client = smtplib.SMTP(self._host, s.port, timeout=s.timeout_seconds)
        except smtplib.SMTPConnectError as error:
            raise TransientDeliveryError(
                f"server greeted with {error.smtp_code} {_text(error.smtp_error)}"
            ) from None
        except ValueError as error:
            # The host setting cannot even be looked up (an empty label, as in smtp..example.nhs.uk, is
            # refused by the IDNA codec): ours to fix, and the message waits for it rather than
            # stopping the worker.
            raise TransientDeliveryError(
                f"PREVENT_IG_SMTP_HOST cannot be used as a server name ({type(error).__name__}); "
                "correct the setting"
            ) from None
        except OSError as error:
            raise TransientDeliveryError(
                f"cannot reach {self._host}:{s.port}: {error.strerror or type(error).__name__}"
            ) from None
        try:
            self._send(client, envelope_from=envelope_from, envelope_to=envelope_to, raw=raw)
            # Accepted: a failing QUIT must not make the message look unsent, or it would go twice.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _by_code(code, reply, "recipient refused") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise _by_code(error.smtp_code, error.smtp_error, "message refused") from None
        except smtplib.SMTPAuthenticationError as error:
            raise TransientDeliveryError(
                f"authentication failed ({error.smtp_code}); check PREVENT_IG_SMTP_USERNAME and PASSWORD"
            ) from None
        except smtplib.SMTPResponseException as error:
            raise TransientDeliveryError(
                f"server replied {error.smtp_code} {_text(error.smtp_error)}"
            ) from None
        except UnicodeEncodeError:
            # An address or header outside ASCII, which no relay without SMTPUTF8 takes: trying again
            # cannot help, and left unhandled it stopped the worker with the message half-sent.
            raise PermanentDeliveryError("the address cannot be sent: it is not plain ASCII") from None
        except ssl.SSLError as error:
            raise TransientDeliveryError(f"TLS failed: {error.reason or type(error).__name__}") from None
        except smtplib.SMTPException as error:
            raise TransientDeliveryError(f"SMTP error: {type(error).__name__}") from None
        except OSError as error:
            raise TransientDeliveryError(
                f"connection to {self._host}:{s.port} failed: {error.strerror or type(error).__name__}"
            ) from None
        finally:
            client.close()

    def _send(self, client: smtplib.SMTP, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        s = self._settings
        client.ehlo()
        encrypted = False
        if client.has_extn("starttls"):
            client.starttls(context=self._context)
            client.ehlo()
            encrypted = True
        elif s.starttls_required:
            raise TransientDeliveryError(
                f"{self._host} did not offer STARTTLS; nothing sent (PREVENT_IG_SMTP_STARTTLS_REQUIRED)"
            )
        if s.username:
            if not encrypted:
                raise TransientDeliveryError("will not send the SMTP password over an unencrypted link")
            try:
                client.login(s.username, s.password.get_secret_value() if s.password else "")
            except UnicodeEncodeError:
                # smtplib sends credentials as ASCII only. Refused when the worker starts
                # (SmtpSettings.check_credentials); met here only if the settings changed under a
                # running transport. Our settings, not the message: temporary, and never blamed on
                # the address.
                raise TransientDeliveryError(
                    f"{CREDENTIALS} must be plain ASCII for SMTP login; correct the setting"
                ) from None
        client.sendmail(envelope_from, [envelope_to], raw)


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """The STARTTLS context; a CA file that cannot be used stops the worker at start, naming it."""
    if settings.ca_file is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    except ssl.SSLError as error:  # before OSError, of which it is a kind: the file is there but not PEM
        raise MailSettingsError(
            f"PREVENT_IG_SMTP_CA_FILE: {settings.ca_file} holds no certificate authority in PEM form "
            f"({error.reason or type(error).__name__})"
        ) from None
    except OSError as error:
        raise MailSettingsError(
            f"PREVENT_IG_SMTP_CA_FILE: cannot read {settings.ca_file} "
            f"({error.strerror or type(error).__name__})"
        ) from None


def _by_code(code: int, reply: bytes | str, what: str) -> TransientDeliveryError | PermanentDeliveryError:
    text = f"{what}: {code} {_text(reply)}"
    if _needs_login(code, _text(reply)):
        # Refused because we are not logged in: the message is not at fault, and once the
        # credentials are set it goes by itself (docs/mail.md).
        return TransientDeliveryError(f"the server needs a login: set {CREDENTIALS} ({text})")
    return PermanentDeliveryError(text) if code >= PERMANENT_FROM else TransientDeliveryError(text)


def _needs_login(code: int, reply: str) -> bool:
    """Does the reply say we must authenticate first? 530 does; so does 5.7.57 under any code, and
    5.7.0 when its words say so (5.7.0 alone is any security refusal, spam included, which stays
    permanent)."""
    if code == AUTHENTICATION_REQUIRED:
        return True
    status = _ENHANCED_STATUS.match(reply)
    enhanced = status.group(1) if status else ""
    return enhanced == CLIENT_NOT_AUTHENTICATED or (enhanced == "5.7.0" and "authenticat" in reply.lower())


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return " ".join(reply.split())[:MAX_REPLY]
