"""Logging set-up, with per-integration levels from the `logger:` config block.

`logger: {default: info, logs: {recorder: debug, camera: debug, hub.web.ws: warning}}`:
a short name is an integration or a core part, a dotted name any logger.
"""

from __future__ import annotations

import logging
from typing import Any

import voluptuous as vol

from hub.redact import RedactingFilter

__all__ = ["CONFIG_SCHEMA", "setup_logging"]

LEVELS = ("critical", "fatal", "error", "warning", "warn", "info", "debug", "notset")
FORMAT = "%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s"

_level = vol.All(str, vol.Lower, vol.In(LEVELS, msg=f"expected one of {', '.join(LEVELS)}"))

CONFIG_SCHEMA = vol.Schema(
    vol.Any(
        None,
        {
            vol.Optional("default", default="info"): _level,
            vol.Optional("logs", default={}): {str: _level},
        },
    )
)


CORE_PARTS = frozenset({"core", "recorder", "web", "loader", "config", "entity", "bootstrap"})


def _logger_name(name: str) -> str:
    """`camera` means the camera integration, `recorder` the core part; dotted names as they are."""
    if "." in name:
        return name
    return f"hub.{name}" if name in CORE_PARTS else f"hub.integrations.{name}"


def setup_logging(config: dict[str, Any] | None, *, verbose: bool = False) -> None:
    """Configure the root logger once, before the hub starts."""
    config = config or {}
    default = "debug" if verbose else config.get("default", "info")
    logging.basicConfig(format=FORMAT, level=default.upper(), force=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())  # no URL query value or password in the log
    # Libraries that are chatty at debug level stay at warning unless asked for.
    for name in ("aiosqlite", "asyncio", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name, level in config.get("logs", {}).items():
        logging.getLogger(_logger_name(name)).setLevel(level.upper())
