"""The automation manager: sets automations up, reloads them, serves their services and traces.

Reload reads the config file again and takes its `automation:` section. A file with any
error keeps the running automations as they are and reports every error with file and
line (in the log and to the caller of `automation.reload`); a good one replaces them all,
each keeping its on/off state.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from aiohttp import web

from hub import validation as cv
from hub.config import load_config
from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.entity import async_add_entities
from hub.entity_services import ENTITY_ID_FIELD, resolve
from hub.web.api_doc import api_doc
from hub.web.helpers import async_register_route, json_error, json_response
from hub.yaml_loader import ConfigError

from .automation import AutomationEntity
from .const import (
    DOMAIN,
    EVENT_AUTOMATION_RELOADED,
    SERVICE_RELOAD,
    SERVICE_TOGGLE,
    SERVICE_TRIGGER,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from .schema import AUTOMATIONS_SCHEMA
from .trace import TraceStore

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["AutomationManager", "async_setup_automations"]

_LOGGER = logging.getLogger(__name__)

TRACES_ROUTE: Final = "/api/automations/{automation_id}/traces"

TRIGGER_SCHEMA = vol.Schema(
    {
        **ENTITY_ID_FIELD,
        vol.Optional("skip_condition", default=True): cv.boolean,
        vol.Optional("variables", default=dict): dict,
    },
    extra=vol.PREVENT_EXTRA,
)
TURN_OFF_SCHEMA = vol.Schema(
    {**ENTITY_ID_FIELD, vol.Optional("stop_actions", default=True): cv.boolean},
    extra=vol.PREVENT_EXTRA,
)
ENTITY_SCHEMA = vol.Schema(ENTITY_ID_FIELD, extra=vol.PREVENT_EXTRA)


class AutomationManager:
    """Every automation from config, by entity id; kept in `hub.data["automation"]`."""

    def __init__(self, hub: Hub, config_path: Path) -> None:
        self.hub = hub
        self.config_path = config_path
        self.traces = TraceStore(hub)
        self.automations: dict[str, AutomationEntity] = {}

    async def async_load(self, configs: list[dict[str, Any]]) -> None:
        """Replace the running automations with these (validated) ones."""
        previous = {auto.automation_id: auto.enabled for auto in self.automations.values()}
        for automation in list(self.automations.values()):
            await automation.async_remove()
        self.automations.clear()
        entities = []
        seen: set[str] = set()
        for index, config in enumerate(configs):
            automation = AutomationEntity(self.hub, config, index, self.traces)
            if automation.automation_id in seen:
                _LOGGER.error(
                    "Automation id %r is used twice; the second is skipped",
                    automation.automation_id,
                )
                continue
            seen.add(automation.automation_id)
            automation.keep_enabled = previous.get(automation.automation_id)
            entities.append(automation)
        await async_add_entities(self.hub, DOMAIN, entities)
        self.automations = {entity.entity_id: entity for entity in entities}

    async def async_reload(self) -> None:
        """Read the config file again; raises ServiceValidationError listing every error."""
        path = self.config_path

        def schema_for(key: str) -> vol.Schema:
            if key == DOMAIN:
                return vol.Schema(AUTOMATIONS_SCHEMA)
            return vol.Schema(object)  # other sections are not this reload's business

        try:
            sections = await self.hub.async_add_executor_job(load_config, path, schema_for)
        except ConfigError as err:
            issues = [
                issue
                for issue in err.issues
                if not issue.path or issue.path.split(".")[0] == DOMAIN
            ]
            if not issues:
                sections = err.sections  # the problems are all in other sections
            else:
                message = "\n".join(str(issue) for issue in issues)
                _LOGGER.error("Automations not reloaded; the running ones are kept:\n%s", message)
                raise ServiceValidationError(f"automations not reloaded:\n{message}") from None
        configs = sections.get(DOMAIN) or []
        await self.async_load(configs)
        _LOGGER.info("Reloaded %d automations from %s", len(self.automations), path.name)
        self.hub.bus.async_fire(EVENT_AUTOMATION_RELOADED, {"count": len(self.automations)})

    async def async_stop_runs(self) -> None:
        """Cancel every run and wait until they have ended (hub stop)."""
        tasks = [task for auto in self.automations.values() for task in auto.async_stop_runs()]
        if tasks:
            await asyncio.wait(tasks)

    def find(self, automation_id: str) -> AutomationEntity | None:
        """By config id, entity id or object id."""
        if automation_id in self.automations:
            return self.automations[automation_id]
        for automation in self.automations.values():
            if automation_id in (automation.automation_id, automation.entity_id.partition(".")[2]):
                return automation
        return None

    # -- services -------------------------------------------------------------------------

    def async_register_services(self) -> None:
        services = self.hub.services

        async def trigger(call: ServiceCall) -> None:
            for automation in resolve(call, self.automations):
                automation.async_trigger(
                    None,
                    call.context,
                    skip_condition=call.data["skip_condition"],
                    variables=call.data["variables"],
                )

        async def turn_on(call: ServiceCall) -> None:
            for automation in resolve(call, self.automations):
                await automation.async_turn_on()

        async def turn_off(call: ServiceCall) -> None:
            for automation in resolve(call, self.automations):
                await automation.async_turn_off(call.data["stop_actions"])

        async def toggle(call: ServiceCall) -> None:
            for automation in resolve(call, self.automations):
                if automation.enabled:
                    await automation.async_turn_off()
                else:
                    await automation.async_turn_on()

        async def reload(_call: ServiceCall) -> None:
            await self.async_reload()

        services.async_register(
            DOMAIN, SERVICE_TRIGGER, trigger, TRIGGER_SCHEMA, "Run an automation's actions now"
        )
        services.async_register(DOMAIN, SERVICE_TURN_ON, turn_on, ENTITY_SCHEMA, "Enable")
        services.async_register(DOMAIN, SERVICE_TURN_OFF, turn_off, TURN_OFF_SCHEMA, "Disable")
        services.async_register(DOMAIN, SERVICE_TOGGLE, toggle, ENTITY_SCHEMA, "Enable/disable")
        services.async_register(
            DOMAIN, SERVICE_RELOAD, reload, vol.Schema({}), "Re-read automations from the config"
        )

    # -- HTTP -----------------------------------------------------------------------------

    @api_doc(
        "An automation's last runs: trigger, conditions, steps",
        tag="automation",
        response={"type": "object"},
        errors=(404,),
    )
    async def _traces_view(self, request: web.Request) -> web.Response:
        automation_id = request.match_info["automation_id"]
        automation = self.find(automation_id)
        if automation is not None:
            key = automation.automation_id
        elif automation_id in self.traces:
            key = automation_id  # removed by a reload, but its runs are still kept
        else:
            return json_error(404, f"no automation {automation_id!r}")
        return json_response(self.traces.get(key))


async def async_setup_automations(
    hub: Hub, configs: list[dict[str, Any]], config_path: Path | None = None
) -> AutomationManager:
    """Load traces, register services and the traces route, and start the automations."""
    manager = AutomationManager(hub, config_path or hub.config_path)
    hub.data[DOMAIN] = manager
    await manager.traces.async_load()
    manager.async_register_services()
    async_register_route(hub, "GET", TRACES_ROUTE, manager._traces_view)
    await manager.async_load(configs)

    async def on_stop(_event: Any) -> None:
        # After a turn of the loop, so `hub: shutdown` automations fired by this same event
        # run their first steps; whatever is still waiting (a delay) is then cancelled.
        await asyncio.sleep(0)
        await manager.async_stop_runs()

    hub.bus.async_listen_once(EVENT_HUB_STOP, on_stop)
    return manager
