"""Finds integrations by their manifests and sets them up in dependency order.

Manifests are read without importing any code; a package is imported only when its
config is validated or it is set up. Built-in integrations live in hub/integrations/;
an owner's own go in `<config dir>/custom_integrations/<domain>/`, same shape.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

import voluptuous as vol

from .core.exceptions import HubError, IntegrationNotReady

if TYPE_CHECKING:
    from .core.hub import Hub

__all__ = [
    "IntegrationError",
    "Manifest",
    "async_setup_integrations",
    "find_integrations",
    "import_integration",
    "setup_order",
]

_LOGGER = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent / "integrations"
CUSTOM_DIR_NAME = "custom_integrations"
SETUP_TIMEOUT = 300.0
SLOW_SETUP_WARNING = 10.0
RETRY_DELAYS = (10.0, 30.0, 60.0, 300.0)


class IntegrationError(HubError):
    """An integration cannot be found, read or ordered."""


class IntegrationModule(Protocol):
    """What an integration's `__init__.py` offers: `async_setup`, optionally `CONFIG_SCHEMA`."""

    async_setup: Callable[[Hub, Any], Awaitable[bool | None]]


@dataclass(frozen=True, slots=True)
class Manifest:
    domain: str
    name: str
    path: Path
    module: str
    dependencies: tuple[str, ...] = ()
    after_dependencies: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()


def _read_manifest(folder: Path, module: str) -> Manifest:
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        domain = data["domain"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise IntegrationError(f"{path}: unreadable manifest: {err}") from None
    if domain != folder.name:
        raise IntegrationError(f"{path}: domain {domain!r} differs from its folder {folder.name!r}")
    return Manifest(
        domain=domain,
        name=data.get("name", domain),
        path=folder,
        module=module,
        dependencies=tuple(data.get("dependencies", ())),
        after_dependencies=tuple(data.get("after_dependencies", ())),
        requirements=tuple(data.get("requirements", ())),
    )


def find_integrations(config_dir: Path | None = None) -> dict[str, Manifest]:
    """Every integration available: built-in ones, then the owner's custom ones over them."""
    found: dict[str, Manifest] = {}
    sources = [(BUILTIN_DIR, "hub.integrations")]
    if config_dir is not None:
        sources.append((config_dir / CUSTOM_DIR_NAME, CUSTOM_DIR_NAME))
    for root, package in sources:
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if (folder / "manifest.json").is_file():
                found[folder.name] = _read_manifest(folder, f"{package}.{folder.name}")
    return found


def import_integration(manifest: Manifest) -> IntegrationModule:
    """Import the integration's package (built-in by name, custom from its folder)."""
    if manifest.module in sys.modules:
        return cast(IntegrationModule, sys.modules[manifest.module])
    if manifest.module.startswith("hub."):
        return cast(IntegrationModule, importlib.import_module(manifest.module))
    spec = importlib.util.spec_from_file_location(
        manifest.module,
        manifest.path / "__init__.py",
        submodule_search_locations=[str(manifest.path)],
    )
    if spec is None or spec.loader is None:
        raise IntegrationError(f"{manifest.path}: no __init__.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[manifest.module] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[manifest.module]
        raise
    return cast(IntegrationModule, module)


def config_schema(manifest: Manifest) -> vol.Schema | None:
    """The integration's CONFIG_SCHEMA (its config block), or None if it takes any."""
    module: ModuleType = cast(ModuleType, import_integration(manifest))
    return getattr(module, "CONFIG_SCHEMA", None)


def setup_order(domains: Iterable[str], manifests: Mapping[str, Manifest]) -> list[str]:
    """The domains and everything they depend on, each after its dependencies.

    `after_dependencies` order only among integrations that are set up anyway.
    """
    wanted: set[str] = set()
    missing: list[str] = []

    def collect(domain: str, needed_by: str | None) -> None:
        if domain in wanted:
            return
        if domain not in manifests:
            missing.append(f"{domain} (needed by {needed_by})" if needed_by else domain)
            return
        wanted.add(domain)
        for dependency in manifests[domain].dependencies:
            collect(dependency, domain)

    for domain in domains:
        collect(domain, None)
    if missing:
        raise IntegrationError(f"unknown integrations: {', '.join(missing)}")

    order: list[str] = []
    state: dict[str, str] = {}

    def visit(domain: str, chain: list[str]) -> None:
        if state.get(domain) == "done":
            return
        if state.get(domain) == "visiting":
            cycle = " -> ".join([*chain[chain.index(domain) :], domain])
            raise IntegrationError(f"dependency cycle: {cycle}")
        state[domain] = "visiting"
        manifest = manifests[domain]
        for dependency in (*manifest.dependencies, *manifest.after_dependencies):
            if dependency in wanted:
                visit(dependency, [*chain, domain])
        state[domain] = "done"
        order.append(domain)

    for domain in sorted(wanted):
        visit(domain, [])
    return order


async def async_setup_integrations(
    hub: Hub, config: Mapping[str, Any], manifests: Mapping[str, Manifest]
) -> set[str]:
    """Set up every configured integration in order; returns the domains now running.

    One failing integration is logged with its domain and skipped, and so are those
    that depend on it; the others carry on. One that is not ready yet (a camera not
    answering) is retried in the background with growing delays.
    """
    order = setup_order([domain for domain in config if domain in manifests], manifests)
    loaded: set[str] = set()
    for domain in order:
        manifest = manifests[domain]
        failed_deps = [dep for dep in manifest.dependencies if dep not in loaded]
        if failed_deps:
            _LOGGER.error(
                "Integration %s not set up: it depends on %s, which failed",
                domain,
                ", ".join(failed_deps),
            )
            continue
        if await _async_setup_one(hub, manifest, config.get(domain), attempt=0):
            loaded.add(domain)
    return loaded


async def _async_setup_one(hub: Hub, manifest: Manifest, conf: Any, attempt: int) -> bool:
    domain = manifest.domain
    slow = hub.loop.call_later(
        SLOW_SETUP_WARNING,
        _LOGGER.warning,
        "Setup of %s is taking over %.0f s",
        domain,
        SLOW_SETUP_WARNING,
    )
    try:
        module = await hub.async_add_executor_job(import_integration, manifest)
        if conf is None:
            # Pulled in as a dependency, not configured: its schema's defaults apply.
            schema = getattr(module, "CONFIG_SCHEMA", None)
            conf = schema({}) if schema is not None else {}
        async with asyncio.timeout(SETUP_TIMEOUT):
            result = await module.async_setup(hub, conf)
    except IntegrationNotReady as err:
        delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
        _LOGGER.warning("Integration %s not ready (%s); retrying in %.0f s", domain, err, delay)

        async def retry(_now: Any) -> None:
            await _async_setup_one(hub, manifest, conf, attempt + 1)

        hub.scheduler.async_call_later(delay, retry)
        return False
    except TimeoutError:
        _LOGGER.error("Setup of %s timed out after %.0f s", domain, SETUP_TIMEOUT)
        return False
    except Exception:
        _LOGGER.exception("Setup of integration %s failed", domain)
        return False
    finally:
        slow.cancel()
    if result is False:
        _LOGGER.error("Integration %s reported that its setup failed", domain)
        return False
    _LOGGER.debug("Integration %s set up", domain)
    hub.components.add(domain)
    return True
