"""Names and defaults of the mqtt integration, in one place."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "mqtt"

CONF_BROKER: Final = "broker"
CONF_USERNAME: Final = "username"
CONF_PASSWORD: Final = "password"
CONF_CLIENT_ID: Final = "client_id"
CONF_KEEPALIVE: Final = "keepalive"
CONF_CA_CERTS: Final = "certificate_authority"
CONF_CLIENT_CERT: Final = "client_cert"
CONF_CLIENT_KEY: Final = "client_key"
CONF_TLS_INSECURE: Final = "tls_insecure"
CONF_PREFIX: Final = "prefix"
CONF_QUEUE_SIZE: Final = "queue_size"
CONF_MAX_PAYLOAD: Final = "max_payload_size"
CONF_EMBEDDED: Final = "embedded"
CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
CONF_USERS: Final = "users"
CONF_PUBLISH: Final = "publish"
CONF_DISCOVERY: Final = "discovery"
CONF_NODES: Final = "nodes"
CONF_ACCEPT_NODES: Final = "accept_nodes"
CONF_NODE_COMMAND_TIMEOUT: Final = "node_command_timeout"

BROKER_EMBEDDED: Final = "embedded"

DEFAULT_PORT: Final = 1883
DEFAULT_TLS_PORT: Final = 8883
# The embedded broker's port: 1884, so it never fights a system Mosquitto for 1883.
DEFAULT_EMBEDDED_PORT: Final = 1884
# Loopback: the lot network is opened on purpose (`embedded: host: 0.0.0.0`), never by default.
DEFAULT_EMBEDDED_HOST: Final = "127.0.0.1"
DEFAULT_KEEPALIVE: Final = 60
DEFAULT_PREFIX: Final = "parkhub"
DEFAULT_DISCOVERY_PREFIX: Final = "homeassistant"
DEFAULT_QUEUE_SIZE: Final = 1000
DEFAULT_MAX_PAYLOAD: Final = 256 * 1024

CONNECT_TIMEOUT: Final = 10.0
DISCONNECT_TIMEOUT: Final = 2.0
# Setup waits this long for the first connection (a slow broker never holds up start-up).
FIRST_CONNECT_WAIT: Final = 3.0
BACKOFF_MIN: Final = 0.5
BACKOFF_MAX: Final = 60.0
# Worker nodes and their central retry more often: plate reads wait on the reconnect.
NODE_BACKOFF_MAX: Final = 5.0
MISC_INTERVAL: Final = 1.0
SUBACK_TIMEOUT: Final = 5.0

TOPIC_STATUS: Final = "status"
# Worker nodes live under <prefix>/nodes/<node>/ (node_worker.py, node_mirror.py).
TOPIC_NODES: Final = "nodes"
# A central hub mirroring nodes keeps one persistent session: its client id must not change.
CENTRAL_CLIENT_ID: Final = "parkhub-central"
DEFAULT_NODE_COMMAND_TIMEOUT: Final = 10.0
PAYLOAD_ONLINE: Final = "online"
PAYLOAD_OFFLINE: Final = "offline"
