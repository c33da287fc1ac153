"""The `logger:` block: a default level and per-integration levels by short name."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import voluptuous as vol

from hub.log import CONFIG_SCHEMA, setup_logging


@pytest.fixture(autouse=True)
def restore_levels() -> Iterator[None]:
    names = ["", "hub.recorder", "hub.integrations.camera", "hub.web.ws"]
    before = {name: logging.getLogger(name).level for name in names}
    handlers = logging.getLogger().handlers[:]
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = handlers


def test_levels_per_integration_and_core_part() -> None:
    config = CONFIG_SCHEMA(
        {
            "default": "warning",
            "logs": {"camera": "DEBUG", "recorder": "info", "hub.web.ws": "error"},
        }
    )
    setup_logging(config)
    assert logging.getLogger().level == logging.WARNING
    assert logging.getLogger("hub.integrations.camera").level == logging.DEBUG
    assert logging.getLogger("hub.recorder").level == logging.INFO
    assert logging.getLogger("hub.web.ws").level == logging.ERROR


def test_unknown_level_is_refused() -> None:
    with pytest.raises(vol.Invalid, match="expected one of"):
        CONFIG_SCHEMA({"default": "loud"})
