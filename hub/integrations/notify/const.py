"""Names of the notify integration: config keys, defaults, events, files."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "notify"

EVENT_NOTIFICATION_SENT: Final = "notification_sent"
EVENT_NOTIFICATION_FAILED: Final = "notification_failed"

# The outbox lives beside the history database, in the data directory.
OUTBOX_FILE: Final = "notify.db"

CONF_NOTIFIERS: Final = "notifiers"
CONF_PLATFORM: Final = "platform"
CONF_NAME: Final = "name"
CONF_TARGET: Final = "target"
CONF_TIMEOUT: Final = "timeout"
CONF_MAX_TRIES: Final = "max_tries"
CONF_RETRY_DELAY: Final = "retry_delay"
CONF_MAX_RETRY_DELAY: Final = "max_retry_delay"
CONF_RATE_LIMIT: Final = "rate_limit"
CONF_KEEP_DAYS: Final = "keep_days"
CONF_DB_URL: Final = "db_url"

DEFAULT_MAX_TRIES: Final = 8
DEFAULT_RETRY_DELAY: Final = 10.0
DEFAULT_MAX_RETRY_DELAY: Final = 3600.0
DEFAULT_TIMEOUT: Final = 15.0
DEFAULT_RATE_COUNT: Final = 10
DEFAULT_RATE_PERIOD: Final = 60.0
DEFAULT_KEEP_DAYS: Final = 7
# Camera pictures taken for notifications, under the data directory.
SNAPSHOT_DIR: Final = "notify_snapshots"

# Service data keys.
ATTR_MESSAGE: Final = "message"
ATTR_TITLE: Final = "title"
ATTR_TARGET: Final = "target"
ATTR_DATA: Final = "data"
# Keys inside `data` that the platforms read.
DATA_ATTACHMENTS: Final = "attachments"
DATA_CAMERA: Final = "camera"
DATA_HTML: Final = "html"

STATUS_PENDING: Final = "pending"
STATUS_SENT: Final = "sent"
STATUS_FAILED: Final = "failed"
