"""The plain data the mqtt integration passes around: messages and connection settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["ConnectionSettings", "ReceiveMessage"]


@dataclass(frozen=True, slots=True)
class ReceiveMessage:
    """One message from the broker, as a subscriber's callback receives it.

    `payload` is the UTF-8 text; a payload that is not valid UTF-8 or is over the size
    limit never reaches a callback (it is counted as bad input instead).
    `subscribed_topic` is the filter the callback subscribed with (wildcards included).
    `ack` is set only for a subscriber that asked to acknowledge messages itself
    (`async_subscribe(..., own_ack=True)`): it must call it once the message is handled,
    or the broker holds it unacknowledged and sends it again after a reconnect.
    """

    topic: str
    payload: str
    qos: int
    retain: bool
    subscribed_topic: str = ""
    ack: Callable[[], None] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Everything the client needs to reach a broker (validated config, no hub types)."""

    host: str
    port: int
    client_id: str
    keepalive: int = 60
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_certs: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    tls_insecure: bool = False
    will_topic: str | None = None
    will_payload: str = "offline"
    queue_size: int = 1000
    backoff: tuple[float, float] = (0.5, 60.0)
    # False: a persistent session (the broker keeps subscriptions and queues QoS 1
    # messages while the client is away); a central hub mirroring worker nodes uses it.
    clean_session: bool = True
