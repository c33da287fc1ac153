"""The `notify:` block: outbox settings and the list of notifiers, each by its platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.database import postgres_url

from .const import (
    CONF_DB_URL,
    CONF_KEEP_DAYS,
    CONF_MAX_RETRY_DELAY,
    CONF_MAX_TRIES,
    CONF_NAME,
    CONF_NOTIFIERS,
    CONF_PLATFORM,
    CONF_RATE_LIMIT,
    CONF_RETRY_DELAY,
    CONF_TARGET,
    CONF_TIMEOUT,
    DEFAULT_KEEP_DAYS,
    DEFAULT_MAX_RETRY_DELAY,
    DEFAULT_MAX_TRIES,
    DEFAULT_RATE_COUNT,
    DEFAULT_RATE_PERIOD,
    DEFAULT_RETRY_DELAY,
    DEFAULT_TIMEOUT,
)
from .outbox import OutboxConfig
from .platforms import PLATFORMS

__all__ = ["CONFIG_SCHEMA", "NotifyConfig"]

_COMMON: Final[dict[Any, Any]] = {
    vol.Required(CONF_NAME, description="The service becomes notify.<name>"): cv.slug,
    vol.Required(CONF_PLATFORM, description=f"One of {', '.join(PLATFORMS)}"): cv.string,
    vol.Optional(
        CONF_TARGET, default=list, description="Default recipients (numbers, addresses)"
    ): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(
        CONF_TIMEOUT,
        default=timedelta(seconds=DEFAULT_TIMEOUT),
        description="One attempt's time limit",
    ): cv.positive_time_period,
}


def _notifier(value: Any) -> dict[str, Any]:
    """One notifier: the common keys plus its platform's own, nothing else."""
    if not isinstance(value, dict):
        raise vol.Invalid(f"expected a mapping, got {cv.describe_value(value)}")
    platform = value.get(CONF_PLATFORM)
    if platform not in PLATFORMS:
        raise vol.Invalid(
            f"unknown notify platform {cv.describe_value(platform)} "
            f"(expected one of {', '.join(PLATFORMS)})",
            path=[CONF_PLATFORM],
        )
    schema = vol.Schema({**_COMMON, **PLATFORMS[platform][0]}, extra=vol.PREVENT_EXTRA)
    result: dict[str, Any] = schema(value)
    return result


_RATE_SCHEMA: Final = vol.Schema(
    {
        vol.Optional("count", default=DEFAULT_RATE_COUNT, description="Messages"): cv.positive_int,
        vol.Optional(
            "period", default=timedelta(seconds=DEFAULT_RATE_PERIOD), description="per this long"
        ): cv.positive_time_period,
    },
    extra=vol.PREVENT_EXTRA,
)

CONFIG_SCHEMA: Final = vol.Schema(
    vol.All(
        cv.empty_block,
        vol.Schema(
            {
                vol.Optional(
                    CONF_MAX_TRIES,
                    default=DEFAULT_MAX_TRIES,
                    description="Attempts before notification_failed",
                ): cv.positive_int,
                vol.Optional(
                    CONF_RETRY_DELAY,
                    default=timedelta(seconds=DEFAULT_RETRY_DELAY),
                    description="Wait before the first retry; doubles each time",
                ): cv.positive_time_period,
                vol.Optional(
                    CONF_MAX_RETRY_DELAY,
                    default=timedelta(seconds=DEFAULT_MAX_RETRY_DELAY),
                    description="Longest wait between retries",
                ): cv.positive_time_period,
                vol.Optional(
                    CONF_RATE_LIMIT, default=dict, description="Per recipient"
                ): _RATE_SCHEMA,
                vol.Optional(
                    CONF_KEEP_DAYS,
                    default=DEFAULT_KEEP_DAYS,
                    description="Days to keep sent and failed notifications in the outbox",
                ): cv.positive_int,
                vol.Optional(CONF_NOTIFIERS, default=list, description="The notifiers"): vol.All(
                    cv.ensure_list, [_notifier], cv.unique(CONF_NAME, "notifier name")
                ),
                vol.Optional(
                    CONF_DB_URL, description="postgresql://user@host/db instead of notify.db"
                ): postgres_url,
            },
            extra=vol.PREVENT_EXTRA,
        ),
    )
)


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """The validated block, read once at setup."""

    outbox: OutboxConfig
    keep_days: int
    notifiers: list[dict[str, Any]]
    db_url: str | None = None  # postgresql://...; None: notify.db in the data directory

    @classmethod
    def from_dict(cls, conf: dict[str, Any]) -> NotifyConfig:
        rate = conf[CONF_RATE_LIMIT]
        return cls(
            outbox=OutboxConfig(
                max_tries=conf[CONF_MAX_TRIES],
                retry_delay=conf[CONF_RETRY_DELAY].total_seconds(),
                max_retry_delay=conf[CONF_MAX_RETRY_DELAY].total_seconds(),
                rate_count=rate["count"],
                rate_period=rate["period"].total_seconds(),
            ),
            keep_days=conf[CONF_KEEP_DAYS],
            notifiers=conf[CONF_NOTIFIERS],
            db_url=conf.get(CONF_DB_URL),
        )
