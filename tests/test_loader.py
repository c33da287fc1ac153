"""The loader: manifests without imports, dependency order, and failures that stay local."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest

from hub.core.hub import Hub
from hub.loader import (
    IntegrationError,
    async_setup_integrations,
    find_integrations,
    setup_order,
)
from tests.conftest import Clock, LogGuard

SETUP_RECORDS_ORDER = """
import voluptuous as vol

CONFIG_SCHEMA = vol.Schema({vol.Optional("name", default="%(domain)s"): str})


async def async_setup(hub, config):
    order = hub.states.get("sensor.setup_order")
    done = (order.state + "," if order else "") + config["name"]
    hub.states.async_set("sensor.setup_order", done)
    return True
"""


def make_integration(
    config_dir: Path, domain: str, code: str = SETUP_RECORDS_ORDER, **manifest: object
) -> None:
    folder = config_dir / "custom_integrations" / domain
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps({"domain": domain, "name": domain.title(), **manifest})
    )
    (folder / "__init__.py").write_text(textwrap.dedent(code % {"domain": domain}))


def test_manifests_are_found_without_importing(tmp_path: Path) -> None:
    make_integration(tmp_path, "barrier", code="raise RuntimeError('imported!')")
    manifests = find_integrations(tmp_path)
    assert manifests["barrier"].name == "Barrier"
    assert manifests["barrier"].module == "custom_integrations.barrier"


def test_manifest_domain_must_match_folder(tmp_path: Path) -> None:
    make_integration(tmp_path, "barrier")
    manifest = tmp_path / "custom_integrations" / "barrier" / "manifest.json"
    manifest.write_text(json.dumps({"domain": "gate"}))
    with pytest.raises(IntegrationError, match="differs from its folder"):
        find_integrations(tmp_path)


def test_order_puts_dependencies_first_and_pulls_them_in(tmp_path: Path) -> None:
    make_integration(tmp_path, "mqttish")
    make_integration(tmp_path, "gateish", dependencies=["mqttish"])
    make_integration(tmp_path, "parkingish", dependencies=["gateish"], after_dependencies=["lpr"])
    make_integration(tmp_path, "lpr")
    manifests = find_integrations(tmp_path)
    assert setup_order(["parkingish"], manifests) == ["mqttish", "gateish", "parkingish"]
    order = setup_order(["parkingish", "lpr"], manifests)
    assert order.index("lpr") < order.index("parkingish")


def test_cycles_and_missing_dependencies_are_named(tmp_path: Path) -> None:
    make_integration(tmp_path, "aaa", dependencies=["bbb"])
    make_integration(tmp_path, "bbb", dependencies=["aaa"])
    make_integration(tmp_path, "ccc", dependencies=["nowhere"])
    manifests = find_integrations(tmp_path)
    with pytest.raises(IntegrationError, match="dependency cycle: aaa -> bbb -> aaa"):
        setup_order(["aaa"], manifests)
    with pytest.raises(IntegrationError, match=r"nowhere \(needed by ccc\)"):
        setup_order(["ccc"], manifests)


async def test_setup_runs_in_order_with_validated_config(hub: Hub) -> None:
    await asyncio.to_thread(make_integration, hub.config_dir, "first_one")
    await asyncio.to_thread(
        make_integration, hub.config_dir, "second_one", dependencies=["first_one"]
    )
    manifests = await asyncio.to_thread(find_integrations, hub.config_dir)

    loaded = await async_setup_integrations(hub, {"second_one": {"name": "second"}}, manifests)

    assert loaded == {"first_one", "second_one"}
    state = hub.states.get("sensor.setup_order")
    assert state is not None
    assert state.state == "first_one,second"


async def test_failing_integration_is_logged_and_others_run(
    hub: Hub, log_guard: LogGuard, caplog: pytest.LogCaptureFixture
) -> None:
    log_guard.allowed = True
    await asyncio.to_thread(
        make_integration,
        hub.config_dir,
        "broken_camera",
        code="async def async_setup(hub, config):\n    raise OSError('no route to camera')\n",
    )
    await asyncio.to_thread(
        make_integration, hub.config_dir, "needs_camera", dependencies=["broken_camera"]
    )
    await asyncio.to_thread(make_integration, hub.config_dir, "healthy")
    manifests = await asyncio.to_thread(find_integrations, hub.config_dir)

    loaded = await async_setup_integrations(
        hub,
        {"broken_camera": {}, "needs_camera": {"name": "n"}, "healthy": {"name": "healthy"}},
        manifests,
    )

    assert loaded == {"healthy"}
    assert "Setup of integration broken_camera failed" in caplog.text
    assert "no route to camera" in caplog.text
    assert "needs_camera not set up: it depends on broken_camera" in caplog.text
    state = hub.states.get("sensor.setup_order")
    assert state is not None
    assert state.state == "healthy"


async def test_not_ready_integration_is_retried(
    hub: Hub, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread(
        make_integration,
        hub.config_dir,
        "flaky",
        code=textwrap.dedent(
            """
            from hub.core.exceptions import IntegrationNotReady
            attempts = []

            async def async_setup(hub, config):
                attempts.append(1)
                if len(attempts) < 2:
                    raise IntegrationNotReady("camera still booting")
                hub.states.async_set("sensor.flaky", "ready")
            """
        ),
    )
    manifests = await asyncio.to_thread(find_integrations, hub.config_dir)
    assert await async_setup_integrations(hub, {"flaky": {}}, manifests) == set()
    assert "flaky not ready (camera still booting); retrying in 10 s" in caplog.text
    await clock.advance(seconds=10)
    state = hub.states.get("sensor.flaky")
    assert state is not None
    assert state.state == "ready"
