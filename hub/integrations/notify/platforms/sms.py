"""SMS through Twilio's REST API (or anything speaking it, at a configurable base URL).

Twilio de-duplicates requests that repeat an `I-Twilio-Idempotency-Token`, so every
attempt of one notification sends the same token (its id): a retry after a lost answer
does not text the owner twice.
"""

from __future__ import annotations

import base64
from typing import Any, Final

import voluptuous as vol

from hub import validation as cv

from ..models import Notification
from .base import Notifier, Shared, http_send

__all__ = ["PLATFORM_SCHEMA", "SmsNotifier"]

DEFAULT_BASE_URL: Final = "https://api.twilio.com"
IDEMPOTENCY_HEADER: Final = "I-Twilio-Idempotency-Token"

PLATFORM_SCHEMA: Final = {
    vol.Required("account_sid", description="Twilio account SID (AC...)"): cv.string,
    vol.Required("auth_token", description="Twilio auth token (use !secret)"): cv.string,
    vol.Required("from", description="Sending number (+E.164) or messaging service"): cv.string,
    vol.Optional(
        "base_url", default=DEFAULT_BASE_URL, description="API root; change only for testing"
    ): cv.url,
}


class SmsNotifier(Notifier):
    platform = "sms"
    needs_target = True

    def __init__(self, config: dict[str, Any], shared: Shared) -> None:
        super().__init__(config, shared)
        self.sid: str = config["account_sid"]
        credentials = base64.b64encode(f"{self.sid}:{config['auth_token']}".encode()).decode()
        self.authorization = f"Basic {credentials}"
        self.sender: str = config["from"]
        root = config["base_url"].rstrip("/")
        self.url = f"{root}/2010-04-01/Accounts/{self.sid}/Messages.json"

    async def async_send(self, note: Notification) -> None:
        body = f"{note.title}\n{note.message}" if note.title else note.message
        await http_send(
            self.shared.session,
            "POST",
            self.url,
            data={"To": note.target, "From": self.sender, "Body": body},
            headers={"Authorization": self.authorization, IDEMPOTENCY_HEADER: note.id},
        )
