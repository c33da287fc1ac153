"""From a config file to a running hub: validate, then start the core parts and integrations."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import voluptuous as vol

from . import log, recorder
from .config import HUB_SCHEMA, HubConfig, load_config
from .core.exceptions import HubError
from .core.hub import Hub
from .entity import EntityRegistry
from .loader import Manifest, async_setup_integrations, config_schema, find_integrations
from .memory import limit_malloc_arenas
from .web import metrics
from .web.app import async_serve, bind_socket, create_app

__all__ = ["LoadedConfig", "async_build_hub", "async_run", "load"]

_LOGGER = logging.getLogger(__name__)

# Sections the core itself reads; every other top-level key names an integration.
CORE_SECTIONS: dict[str, vol.Schema] = {
    "hub": HUB_SCHEMA,
    "logger": log.CONFIG_SCHEMA,
    "recorder": recorder.CONFIG_SCHEMA,
    "metrics": metrics.CONFIG_SCHEMA,
}


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    path: Path
    hub: HubConfig
    sections: dict[str, Any]
    manifests: dict[str, Manifest]

    @property
    def integrations(self) -> dict[str, Any]:
        return {key: value for key, value in self.sections.items() if key not in CORE_SECTIONS}

    def data_dir(self, override: Path | None = None) -> Path:
        """`--data`, else `hub: data_dir` (relative to the config file), else `data/` beside it."""
        if override is not None:
            return override
        # `path` was resolved by `load`, so this is absolute without touching the disk.
        return self.path.parent / (self.hub.data_dir or "data")


def load(path: Path) -> LoadedConfig:
    """Read and validate the whole config; raises ConfigError listing every mistake."""
    manifests = find_integrations(path.parent)

    def schema_for(key: str) -> vol.Schema | None:
        if key in CORE_SECTIONS:
            return CORE_SECTIONS[key]
        if key not in manifests:
            return None
        try:
            return config_schema(manifests[key]) or vol.Schema(object)
        except Exception as err:
            raise vol.Invalid(f"integration {key} cannot be loaded: {err}") from err

    sections = load_config(path, schema_for, known=[*CORE_SECTIONS, *manifests])
    hub_config = HubConfig.from_dict(sections.get("hub") or HUB_SCHEMA({}))
    return LoadedConfig(path.resolve(), hub_config, sections, manifests)


async def async_build_hub(
    loaded: LoadedConfig,
    *,
    data_dir: Path | None = None,
    host: str = "0.0.0.0",
    port: int | None = None,
) -> Hub:
    """Start the core parts, then every configured integration; returns the running hub."""
    # `--port` wins over `hub: port:`, and integrations (zeroconf) see the port really served.
    hub_config = loaded.hub if port is None else replace(loaded.hub, port=port)
    hub = Hub(hub_config, config_dir=loaded.path.parent, data_dir=loaded.data_dir(data_dir))
    hub.config_path = loaded.path
    await hub.async_add_executor_job(lambda: hub.data_dir.mkdir(parents=True, exist_ok=True))
    registry = EntityRegistry(hub)
    await registry.async_load()
    hub.entity_registry = registry
    recorder_conf = loaded.sections.get("recorder") or recorder.CONFIG_SCHEMA({})
    await recorder.async_setup_recorder(
        hub, recorder.RecorderConfig.from_dict(recorder_conf, hub.data_dir)
    )
    # Claim the port first, so a taken one fails before integrations load models; serve
    # after them, so their routes are on the app before the router freezes.
    try:
        # In a worker thread: a host name means a DNS lookup.
        sock = await hub.async_add_executor_job(bind_socket, host, hub.config.port)
    except HubError:
        await hub.async_stop()
        raise
    metrics_conf = loaded.sections.get("metrics") or {}
    app = create_app(hub, metrics_token=metrics_conf.get("token"))
    await async_setup_integrations(hub, loaded.integrations, loaded.manifests)
    await async_serve(hub, app, sock)
    await hub.async_start()
    return hub


async def async_run(
    loaded: LoadedConfig, *, data_dir: Path | None, host: str, port: int | None
) -> int:
    """Run until SIGINT or SIGTERM; returns the process exit code.

    The signal handlers go in before set-up: integrations can take seconds to set up
    (the plate reader loads its OCR models), and a signal then would otherwise kill the
    process without closing the database or the camera threads. A stop asked for during
    set-up stops the hub cleanly as soon as set-up is done.
    """
    limit_malloc_arenas()
    loop = asyncio.get_running_loop()
    hub: Hub | None = None
    stop_requested = False

    def request_stop() -> None:
        nonlocal stop_requested
        if hub is not None:
            hub.async_create_task(hub.async_stop(), "stop")
        elif not stop_requested:
            stop_requested = True
            _LOGGER.info("Stop requested while starting: stopping once set-up is done")

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, request_stop)
    try:
        hub = await async_build_hub(loaded, data_dir=data_dir, host=host, port=port)
    except HubError as err:
        _LOGGER.error("ParkHub could not start: %s", err)
        return 1
    if stop_requested:
        await hub.async_stop()
        return 0
    _LOGGER.info("Serving on http://%s:%s", host, hub.config.port)
    await hub.async_wait_stopped()
    return 0
