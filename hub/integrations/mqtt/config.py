"""The `mqtt:` config block: its schema, and the frozen settings validated from it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import voluptuous as vol

from hub import validation as cv

from .broker_accounts import USERS_SCHEMA
from .const import (
    BACKOFF_MAX,
    BACKOFF_MIN,
    BROKER_EMBEDDED,
    CENTRAL_CLIENT_ID,
    CONF_ACCEPT_NODES,
    CONF_BROKER,
    CONF_CA_CERTS,
    CONF_CLIENT_CERT,
    CONF_CLIENT_ID,
    CONF_CLIENT_KEY,
    CONF_EMBEDDED,
    CONF_HOST,
    CONF_KEEPALIVE,
    CONF_MAX_PAYLOAD,
    CONF_NODE_COMMAND_TIMEOUT,
    CONF_NODES,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_PREFIX,
    CONF_QUEUE_SIZE,
    CONF_TLS_INSECURE,
    CONF_USERNAME,
    CONF_USERS,
    DEFAULT_EMBEDDED_HOST,
    DEFAULT_EMBEDDED_PORT,
    DEFAULT_KEEPALIVE,
    DEFAULT_MAX_PAYLOAD,
    DEFAULT_NODE_COMMAND_TIMEOUT,
    DEFAULT_PORT,
    DEFAULT_PREFIX,
    DEFAULT_QUEUE_SIZE,
    DEFAULT_TLS_PORT,
    NODE_BACKOFF_MAX,
    PAYLOAD_OFFLINE,
    TOPIC_NODES,
    TOPIC_STATUS,
)
from .models import ConnectionSettings

__all__ = ["BASE_SCHEMA", "MqttConfig", "publish_topic", "topic_prefix"]


def _broker(value: Any) -> str:
    text = cv.string(value).strip()
    if text == BROKER_EMBEDDED:
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise vol.Invalid(
            f"expected 'embedded' or a broker URL like 'mqtt://host:1883' or "
            f"'mqtts://host:8883', got {cv.describe_value(value)}"
        )
    return cv.url(text)


def topic_prefix(value: Any) -> str:
    """A topic prefix: no wildcards, no leading or trailing slash."""
    text = cv.string(value)
    if not text or any(c in text for c in "+#\0") or text.startswith("/") or text.endswith("/"):
        raise vol.Invalid(f"invalid topic prefix {text!r} (no + # or leading/trailing /)")
    return text


def publish_topic(value: Any) -> str:
    """A topic to publish to: no wildcards."""
    text = cv.string(value)
    if not text or any(c in text for c in "+#\0"):
        raise vol.Invalid(f"invalid topic {text!r} (a publish topic has no + or #)")
    return text


def _no_repeats(value: list[str]) -> list[str]:
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        raise vol.Invalid(f"node {repeated[0]!r} is listed twice")
    return value


EMBEDDED_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_HOST, default=DEFAULT_EMBEDDED_HOST): cv.string,
        vol.Optional(CONF_PORT, default=DEFAULT_EMBEDDED_PORT): cv.port,
        # More broker accounts: [{username, password, role: controller | admin}]; the hub's
        # own and the controllers' are made at first start (`parkhub mqtt credentials`).
        vol.Optional(CONF_USERS, default=[]): USERS_SCHEMA,
    }
)

# The connection keys; __init__ adds the publishing, discovery and entity keys.
BASE_SCHEMA: dict[Any, Any] = {
    # "embedded" starts a broker inside the hub; otherwise mqtt://[user:pass@]host[:port]
    vol.Optional(CONF_BROKER, default=BROKER_EMBEDDED): _broker,
    vol.Optional(CONF_EMBEDDED, default={}): EMBEDDED_SCHEMA,
    vol.Optional(CONF_USERNAME): cv.string,
    vol.Optional(CONF_PASSWORD): cv.string,
    # Default: parkhub-<random>, so two hubs on one broker never kick each other off.
    vol.Optional(CONF_CLIENT_ID): cv.string,
    vol.Optional(CONF_KEEPALIVE, default=DEFAULT_KEEPALIVE): cv.positive_int,
    # mqtts:// only: CA bundle to trust, and an optional client certificate and key.
    vol.Optional(CONF_CA_CERTS): cv.string,
    vol.Optional(CONF_CLIENT_CERT): cv.string,
    vol.Optional(CONF_CLIENT_KEY): cv.string,
    vol.Optional(CONF_TLS_INSECURE, default=False): cv.boolean,
    # Root of the hub's own topics: <prefix>/status, <prefix>/<domain>/<id>/state, ...
    vol.Optional(CONF_PREFIX, default=DEFAULT_PREFIX): topic_prefix,
    # QoS 1 publishes kept while the broker is away (oldest dropped, with a warning).
    vol.Optional(CONF_QUEUE_SIZE, default=DEFAULT_QUEUE_SIZE): cv.positive_int,
    # Larger incoming payloads are counted as bad input and ignored.
    vol.Optional(CONF_MAX_PAYLOAD, default=DEFAULT_MAX_PAYLOAD): cv.positive_int,
    # A central hub: mirror these worker nodes (their `hub: node:` ids); see README.
    vol.Optional(CONF_NODES, default=[]): vol.All(cv.ensure_list, [cv.slug], _no_repeats),
    # A central hub: also mirror any node that announces itself (its retained birth
    # status or an event). The broker's accounts decide who may speak as which node.
    vol.Optional(CONF_ACCEPT_NODES, default=False): vol.All(
        cv.boolean, msg="accept_nodes must be true or false"
    ),
    # A gate command to a node that is not done by then is never executed (a barrier
    # must not open for a car that left): the worker checks the deadline it carries.
    vol.Optional(
        CONF_NODE_COMMAND_TIMEOUT, default=timedelta(seconds=DEFAULT_NODE_COMMAND_TIMEOUT)
    ): cv.positive_time_period,
}


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """The validated connection part of `mqtt:`."""

    embedded: bool
    embedded_host: str
    embedded_port: int
    embedded_users: tuple[dict[str, str], ...]
    connection: ConnectionSettings
    prefix: str
    max_payload: int
    # The base prefix (`prefix:`); `prefix` above is `<base>/nodes/<node>` on a worker.
    base_prefix: str = "parkhub"
    node: str | None = None
    nodes: tuple[str, ...] = ()
    accept_nodes: bool = False
    node_command_timeout: float = DEFAULT_NODE_COMMAND_TIMEOUT

    @classmethod
    def from_dict(cls, conf: dict[str, Any], node: str | None = None) -> MqttConfig:
        """`node`: the hub's `hub: node:` id; a worker's topics all move under
        `<prefix>/nodes/<node>/`, where the central hub mirrors them."""
        embedded = conf[CONF_BROKER] == BROKER_EMBEDDED
        emb = conf[CONF_EMBEDDED]
        username = conf.get(CONF_USERNAME)
        password = conf.get(CONF_PASSWORD)
        if embedded:
            # The hub talks to its own broker over loopback.
            host = "127.0.0.1" if emb[CONF_HOST] in ("0.0.0.0", "::", "") else emb[CONF_HOST]
            port, tls = emb[CONF_PORT], False
        else:
            url = urlsplit(conf[CONF_BROKER])
            tls = url.scheme == "mqtts"
            host = url.hostname or ""
            port = url.port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT)
            if url.username is not None and username is None:
                username = unquote(url.username)
                password = unquote(url.password) if url.password is not None else None
        base_prefix = prefix = conf[CONF_PREFIX]
        if node is not None:
            prefix = f"{base_prefix}/{TOPIC_NODES}/{node}"
        nodes = tuple(conf[CONF_NODES])
        accept_nodes = bool(conf.get(CONF_ACCEPT_NODES, False))
        central = bool(nodes) or accept_nodes
        client_id = conf.get(CONF_CLIENT_ID)
        if client_id is None:
            # A central keeps a persistent session, which a new random id would lose.
            client_id = CENTRAL_CLIENT_ID if central else f"parkhub-{secrets.token_hex(4)}"
        settings = ConnectionSettings(
            host=host,
            port=port,
            client_id=client_id,
            keepalive=conf[CONF_KEEPALIVE],
            username=username,
            password=password,
            tls=tls,
            ca_certs=conf.get(CONF_CA_CERTS),
            client_cert=conf.get(CONF_CLIENT_CERT),
            client_key=conf.get(CONF_CLIENT_KEY),
            tls_insecure=conf[CONF_TLS_INSECURE],
            will_topic=f"{prefix}/{TOPIC_STATUS}",
            will_payload=PAYLOAD_OFFLINE,
            queue_size=conf[CONF_QUEUE_SIZE],
            backoff=(BACKOFF_MIN, NODE_BACKOFF_MAX if central or node else BACKOFF_MAX),
            clean_session=not central,
        )
        return cls(
            embedded=embedded,
            embedded_host=emb[CONF_HOST],
            embedded_port=emb[CONF_PORT],
            embedded_users=tuple(emb[CONF_USERS]),
            connection=settings,
            prefix=prefix,
            max_payload=conf[CONF_MAX_PAYLOAD],
            base_prefix=base_prefix,
            node=node,
            nodes=nodes,
            accept_nodes=accept_nodes,
            node_command_timeout=conf[CONF_NODE_COMMAND_TIMEOUT].total_seconds(),
        )
