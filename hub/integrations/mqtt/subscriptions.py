"""Who listens to which topic filter, and which filters a topic matches (cached)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from paho.mqtt.client import topic_matches_sub

from .models import ReceiveMessage

__all__ = ["MessageCallback", "Subscription", "SubscriptionTable", "valid_filter"]

MessageCallback = Callable[[ReceiveMessage], Awaitable[None] | None]
_CACHE_SIZE = 4096


@dataclass(eq=False, slots=True)
class Subscription:
    topic: str
    callback: MessageCallback
    qos: int
    # The callback acknowledges each message itself (ReceiveMessage.ack).
    own_ack: bool = False


def valid_filter(topic: str) -> bool:
    """An MQTT topic filter: `+` and `#` only as whole levels, `#` only last."""
    if not topic or "\0" in topic or len(topic.encode()) > 65535:
        return False
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return False
        if "+" in level and level != "+":
            return False
    return True


class SubscriptionTable:
    """Exact filters are one dict lookup; wildcard filters are matched once per topic and
    the answer cached until the table changes."""

    def __init__(self) -> None:
        self._exact: dict[str, list[Subscription]] = {}
        self._wild: dict[str, list[Subscription]] = {}
        self._cache: dict[str, tuple[Subscription, ...]] = {}

    def add(self, sub: Subscription) -> bool:
        """Add one; True when it is the first for its filter (the broker must be told)."""
        table = self._wild if "+" in sub.topic or "#" in sub.topic else self._exact
        subs = table.setdefault(sub.topic, [])
        subs.append(sub)
        self._cache.clear()
        return len(subs) == 1

    def remove(self, sub: Subscription) -> bool:
        """Remove one; True when it was the last for its filter (the broker may forget it)."""
        table = self._wild if "+" in sub.topic or "#" in sub.topic else self._exact
        subs = table.get(sub.topic)
        if subs is None or sub not in subs:
            return False
        subs.remove(sub)
        self._cache.clear()
        if subs:
            return False
        del table[sub.topic]
        return True

    def filters(self) -> list[tuple[str, int]]:
        """Every filter with the highest QoS asked for it (to resubscribe after a connect)."""
        return [
            (topic, max(sub.qos for sub in subs))
            for table in (self._exact, self._wild)
            for topic, subs in table.items()
        ]

    def matching(self, topic: str) -> tuple[Subscription, ...]:
        found = self._cache.get(topic)
        if found is None:
            subs = list(self._exact.get(topic, ()))
            for pattern, wild in self._wild.items():
                if topic_matches_sub(pattern, topic):
                    subs.extend(wild)
            found = tuple(subs)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[topic] = found
        return found
