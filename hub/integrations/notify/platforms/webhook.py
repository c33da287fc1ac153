"""Webhook: POST the notification as JSON, optionally signed with HMAC-SHA256.

Every attempt of one notification carries the same `Idempotency-Key` header (its id),
so a receiver that saw an attempt whose answer got lost can drop the retry.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.json import json_bytes

from ..models import Notification
from .base import Notifier, Shared, http_send

__all__ = ["PLATFORM_SCHEMA", "WebhookNotifier", "signature"]

SIGNATURE_HEADER: Final = "X-ParkHub-Signature"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"

PLATFORM_SCHEMA: Final = {
    vol.Required("url", description="Where to POST"): cv.url,
    vol.Optional("method", default="POST", description="POST or PUT"): vol.All(
        cv.string, vol.Upper, vol.In(["POST", "PUT"])
    ),
    vol.Optional("headers", default=dict, description="Extra headers, e.g. a token"): {
        cv.string: cv.string
    },
    vol.Optional(
        "secret", description=f"Signs the body: {SIGNATURE_HEADER}: sha256=<hex HMAC>"
    ): cv.string,
}


def signature(secret: str, body: bytes) -> str:
    """The signature header's value: what a receiver recomputes to trust the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier(Notifier):
    platform = "webhook"

    def __init__(self, config: dict[str, Any], shared: Shared) -> None:
        super().__init__(config, shared)
        self.url: str = config["url"]
        self.method: str = config["method"]
        self.headers: dict[str, str] = config["headers"]
        self.secret: str | None = config.get("secret")

    async def async_send(self, note: Notification) -> None:
        body = json_bytes(
            {
                "id": note.id,
                "notifier": note.notifier,
                "title": note.title,
                "message": note.message,
                "target": note.target or None,
                "data": note.data,
                "created": note.created,
            }
        )
        headers = {
            **self.headers,
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: note.id,
        }
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        await http_send(self.shared.session, self.method, self.url, data=body, headers=headers)
