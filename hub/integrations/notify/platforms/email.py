"""E-mail over SMTP: STARTTLS, SSL or plain, optional login, text and HTML, attachments.

smtplib blocks, so each send runs in a worker thread. The Message-ID is derived from the
notification id, so every attempt of one notification is the same message: mail servers
and clients that see it twice (a retry after a lost answer) show it once.
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Final

import voluptuous as vol

from hub import validation as cv

from ..const import DATA_HTML
from ..errors import PermanentError, RetryableError
from ..models import Notification
from .base import Notifier, Shared

__all__ = ["PLATFORM_SCHEMA", "EmailNotifier", "build_message"]

ENCRYPTION: Final = ("starttls", "ssl", "none")

PLATFORM_SCHEMA: Final = {
    vol.Required("server", description="SMTP host"): cv.string,
    vol.Optional("port", description="Default 587 (starttls), 465 (ssl), 25 (none)"): cv.port,
    vol.Optional("encryption", default="starttls", description="starttls, ssl or none"): vol.All(
        cv.string, vol.Lower, vol.In(ENCRYPTION)
    ),
    vol.Optional("username", description="Login name, if the server wants one"): cv.string,
    vol.Optional("password", description="Login password (use !secret)"): cv.string,
    vol.Required("sender", description="From address"): cv.string,
    vol.Optional("sender_name", description="Display name of the sender"): cv.string,
    vol.Optional(
        "verify_ssl", default=True, description="Check the server's certificate"
    ): cv.boolean,
}
_DEFAULT_PORTS: Final = {"starttls": 587, "ssl": 465, "none": 25}


def build_message(
    note: Notification, sender: str, recipient: str, files: list[tuple[str, bytes]]
) -> EmailMessage:
    """The e-mail for one notification: text, optional HTML alternative, attachments."""
    msg = EmailMessage()
    msg["Subject"] = note.title or (note.message.splitlines() or [""])[0][:78]
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(note.created or None, localtime=False)
    domain = sender.rpartition("@")[2].strip(" >") or "parkhub.local"
    msg["Message-ID"] = f"<{note.id}.{recipient.replace('@', '=')}@{domain}>"
    msg.set_content(note.message)
    if html := note.data.get(DATA_HTML):
        msg.add_alternative(str(html), subtype="html")
    for name, content in files:
        kind, _ = mimetypes.guess_type(name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg


class EmailNotifier(Notifier):
    platform = "email"
    supports_attachments = True
    needs_target = True

    def __init__(self, config: dict[str, Any], shared: Shared) -> None:
        super().__init__(config, shared)
        self.server: str = config["server"]
        self.encryption: str = config["encryption"]
        self.port: int = config.get("port") or _DEFAULT_PORTS[self.encryption]
        self.username: str | None = config.get("username")
        self.password: str | None = config.get("password")
        name = config.get("sender_name")
        self.sender = f"{name} <{config['sender']}>" if name else config["sender"]
        self.verify_ssl: bool = config["verify_ssl"]

    async def async_send(self, note: Notification) -> None:
        await self.shared.hub.async_add_executor_job(self._send, note)

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _send(self, note: Notification) -> None:
        """Connect, log in, send, quit (in a worker thread); errors sorted for the outbox."""
        try:
            files = [(path.name, Path(path).read_bytes()) for path in note.attachments]
        except OSError as err:
            raise PermanentError(f"cannot read attachment: {err}") from None
        message = build_message(note, self.sender, note.target, files)
        try:
            smtp: smtplib.SMTP
            if self.encryption == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.server, self.port, timeout=self.timeout, context=self._tls()
                )
            else:
                smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
            with smtp:
                if self.encryption == "starttls":
                    smtp.starttls(context=self._tls())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as err:
            raise PermanentError(
                f"SMTP login refused: {err.smtp_code} {err.smtp_error!r}"
            ) from None
        except smtplib.SMTPRecipientsRefused as err:
            raise PermanentError(f"recipient refused: {err.recipients}") from None
        except smtplib.SMTPResponseException as err:
            detail = f"SMTP {self.server} answered {err.smtp_code}: {err.smtp_error!r}"
            # 4xx is SMTP's "try again later"; 5xx is final.
            if 400 <= err.smtp_code < 500:
                raise RetryableError(detail) from None
            raise PermanentError(detail) from None
        except ssl.SSLCertVerificationError as err:
            raise PermanentError(f"SMTP {self.server}: certificate refused: {err}") from None
        except (TimeoutError, smtplib.SMTPException, OSError) as err:
            raise RetryableError(f"SMTP {self.server}:{self.port}: {err}") from None
