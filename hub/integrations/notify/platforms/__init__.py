"""The notify platforms, by the name used in `platform:` of a notifier's config."""

from __future__ import annotations

from typing import Any, Final

from . import email, mqtt, panel, sms, webhook
from .base import Notifier, Shared

__all__ = ["PLATFORMS", "Notifier", "Shared"]

# platform name -> (its config keys, its class)
PLATFORMS: Final[dict[str, tuple[dict[Any, Any], type[Notifier]]]] = {
    "sms": (sms.PLATFORM_SCHEMA, sms.SmsNotifier),
    "email": (email.PLATFORM_SCHEMA, email.EmailNotifier),
    "webhook": (webhook.PLATFORM_SCHEMA, webhook.WebhookNotifier),
    "mqtt": (mqtt.PLATFORM_SCHEMA, mqtt.MqttNotifier),
    "panel": (panel.PLATFORM_SCHEMA, panel.PanelNotifier),
}
