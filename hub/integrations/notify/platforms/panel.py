"""Panel: persistent notifications kept in the outbox file until read or dismissed.

Nothing travels over a network, so delivery is one INSERT keyed by the notification id:
a retry, or a resume after a crash, cannot show a message twice.
"""

from __future__ import annotations

from typing import Final

from ..models import Notification
from .base import Notifier

__all__ = ["PLATFORM_SCHEMA", "PanelNotifier"]

PLATFORM_SCHEMA: Final[dict[object, object]] = {}


class PanelNotifier(Notifier):
    platform = "panel"

    async def async_send(self, note: Notification) -> None:
        await self.shared.store.async_panel_add(note)
