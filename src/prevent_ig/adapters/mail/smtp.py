"""Deliver one stored message over SMTP with STARTTLS and authentication (NHSmail's submission
service: send.nhs.net, port 587).

Failures are sorted into transient (try again later) and permanent (a person must act). Anything
about the connection, TLS or our own credentials is transient: the message is not at fault, and
once the setting or the server is fixed it goes out without anyone re-sending it. A password is
never sent over a connection that is not encrypted.
"""

import contextlib
import smtplib
import ssl

from prevent_ig.adapters.mail.errors import PermanentDeliveryError, TransientDeliveryError
from prevent_ig.adapters.mail.settings import SmtpSettings

PERMANENT_FROM = 500
MAX_REPLY = 300


class SmtpTransport:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._host = settings.checked_host()
        self._context = ssl.create_default_context(
            cafile=str(settings.ca_file) if settings.ca_file is not None else None
        )
        self._context.minimum_version = ssl.TLSVersion.TLSv1_2

    def deliver(self, *, envelope_from: str, envelope_to: str, raw: bytes) -> None:
        s = self._settings
        try:
            client = smtplib.SMTP(self._host, s.port, timeout=s.timeout_seconds)
        except smtplib.SMTPConnectError as error:
            raise TransientDeliveryError(
                f"server greeted with {error.smtp_code} {_text(error.smtp_error)}"
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
            client.login(s.username, s.password.get_secret_value() if s.password else "")
        client.sendmail(envelope_from, [envelope_to], raw)


def _by_code(code: int, reply: bytes | str, what: str) -> TransientDeliveryError | PermanentDeliveryError:
    text = f"{what}: {code} {_text(reply)}"
    return PermanentDeliveryError(text) if code >= PERMANENT_FROM else TransientDeliveryError(text)


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return " ".join(reply.split())[:MAX_REPLY]
