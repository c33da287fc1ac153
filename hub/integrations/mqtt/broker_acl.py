"""The embedded broker's rules: who may connect, publish, subscribe and receive what.

- No anonymous clients: every connection names an account (`broker_accounts.py`).
- The hub's own account and `role: admin` accounts may do everything, and only they may
  publish under the hub's prefix, `parkhub/gate/+/set` (a gate command) included.
- Controller accounts (barriers, bay sensors) may publish their own topics (anything
  outside the hub's prefix) and discovery configs (except the hub's own, `parkhub_*`),
  and receive their command topics (anything outside the hub's prefix and discovery)
  and `parkhub/status`. They cannot read the hub's states and events (every plate goes
  through those), nor other devices' discovery.
- Node accounts (a worker hub; the username is its node id) have a controller's rights
  and, in the hub's prefix, only their own `parkhub/nodes/<username>/`: they publish
  their states and events there and receive their gate commands; another node's topics
  and the central's states and events stay closed to them.

The rules are pure functions of (role, topic); `HubAuthPlugin` checks logins for amqtt,
and the broker (`broker.py`) asks `TopicPolicy.allows` on every publish, subscribe and
delivery.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from amqtt.contexts import Action  # type: ignore[import-untyped]
from amqtt.plugins.base import BaseAuthPlugin  # type: ignore[import-untyped]

from .broker_accounts import ROLE_ADMIN, ROLE_HUB, ROLE_NODE, BrokerAccounts
from .const import TOPIC_NODES

__all__ = ["HubAuthPlugin", "TopicPolicy"]

_LOGGER = logging.getLogger(__name__)
_HUB_OBJECT_PREFIX = "parkhub_"
_MAX_WARNED = 1000


class TopicPolicy:
    """What each role may do with a topic, given the hub's prefix and discovery prefix."""

    def __init__(self, accounts: BrokerAccounts, prefix: str, discovery_prefix: str) -> None:
        self.accounts = accounts
        self._prefix = prefix
        self._hub_root = f"{prefix}/"
        self._status = f"{prefix}/status"
        self._discovery_root = f"{discovery_prefix}/"
        self._warned: set[tuple[str | None, str]] = set()

    def _is_hub_topic(self, topic: str) -> bool:
        return topic == self._prefix or topic.startswith(self._hub_root)

    def _is_discovery(self, topic: str) -> bool:
        return topic.startswith(self._discovery_root)

    def _is_hub_discovery(self, topic: str) -> bool:
        levels = topic[len(self._discovery_root) :].split("/")
        return any(level.startswith(_HUB_OBJECT_PREFIX) for level in levels[1:])

    @staticmethod
    def _trusted(role: str | None) -> bool:
        return role in (ROLE_HUB, ROLE_ADMIN)

    def _is_own_node_topic(self, role: str | None, username: str | None, topic: str) -> bool:
        return (
            role == ROLE_NODE
            and bool(username)
            and topic.startswith(f"{self._hub_root}{TOPIC_NODES}/{username}/")
        )

    def may_publish(self, role: str | None, topic: str, username: str | None = None) -> bool:
        if self._trusted(role) or self._is_own_node_topic(role, username, topic):
            return True
        if role is None or topic.startswith("$") or self._is_hub_topic(topic):
            return False
        return not (self._is_discovery(topic) and self._is_hub_discovery(topic))

    def may_receive(self, role: str | None, topic: str, username: str | None = None) -> bool:
        if self._trusted(role) or self._is_own_node_topic(role, username, topic):
            return True
        if role is None or topic.startswith("$"):
            return False
        if topic == self._status:
            return True
        return not (self._is_hub_topic(topic) or self._is_discovery(topic))

    def allows(self, username: str | None, topic: str, action: Action) -> bool:
        """amqtt's question: may this account publish, subscribe to or receive `topic`?"""
        role = self.accounts.role(username)
        if action == Action.PUBLISH:
            allowed = self.may_publish(role, topic, username)
            if not allowed:
                self._refused(username, topic)
            return allowed
        if action == Action.SUBSCRIBE:
            return self.may_subscribe(role, topic)
        return self.may_receive(role, topic, username)

    def _refused(self, username: str | None, topic: str) -> None:
        """Warn once per account and topic (a controller retrying must not flood the log)."""
        key = (username, topic)
        if key in self._warned:
            _LOGGER.debug("MQTT account %r may not publish to %s: dropped", username, topic)
            return
        if len(self._warned) >= _MAX_WARNED:
            self._warned.clear()
        self._warned.add(key)
        _LOGGER.warning(
            "MQTT account %r may not publish to %s: dropped (further ones only at debug level)",
            username,
            topic,
        )

    def may_subscribe(self, role: str | None, topic_filter: str) -> bool:
        """Any valid filter is accepted from a known account; delivery is checked per topic
        (a controller subscribed to `#` receives only its own topics)."""
        return role is not None


@dataclass
class _PolicyConfig:
    policy: Any = None


class HubAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """Accept a client only with a known username and its password."""

    Config = _PolicyConfig

    async def authenticate(self, *, session: Any) -> bool:
        policy: TopicPolicy = self.context.config.policy
        account = policy.accounts.check(session.username, session.password)
        if account is None:
            _LOGGER.warning(
                "MQTT client %r refused: %s",
                session.client_id,
                "no username (anonymous clients are not allowed)"
                if not session.username
                else f"wrong username or password for {session.username!r}",
            )
            return False
        return True
