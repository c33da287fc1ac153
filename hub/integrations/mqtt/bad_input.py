"""Bad input from the broker: logged once per topic and reason, counted, then ignored."""

from __future__ import annotations

import logging
from collections import Counter

__all__ = ["BadInput"]

_LOGGER = logging.getLogger(__name__)
_MAX_REMEMBERED = 10_000


class BadInput:
    """Counts bad messages by reason; warns the first time a topic sends each kind.

    A misbehaving sensor that floods garbage costs a counter increment per message, not
    a log line per message.
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._logged: set[tuple[str, str]] = set()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def report(self, topic: str, reason: str, detail: str = "") -> None:
        self.counts[reason] += 1
        key = (topic, reason)
        if key in self._logged:
            return
        if len(self._logged) >= _MAX_REMEMBERED:
            self._logged.clear()
        self._logged.add(key)
        _LOGGER.warning(
            "Ignoring MQTT message on %s: %s%s (further ones like it are only counted)",
            topic,
            reason,
            f": {detail}" if detail else "",
        )
