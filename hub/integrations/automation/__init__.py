"""`automation:` in config.yaml: a list of automations (or `!include automations.yaml`).

The engine lives in `hub/automations/`; this is the integration the loader finds for the
`automation:` key. It is set up after the helpers and MQTT (`after_dependencies`), so
triggers on their entities and topics attach to something that exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub.automations import AUTOMATIONS_SCHEMA, async_setup_automations

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "async_setup"]

CONFIG_SCHEMA = vol.Schema(AUTOMATIONS_SCHEMA)


async def async_setup(hub: Hub, config: Any) -> None:
    await async_setup_automations(hub, config or [])
