"""Home Assistant side of bench/interop.py (runs in the HA 2024.3.3 venv).

Starts a real Home Assistant from a config folder the orchestrator wrote (MQTT as a
config entry pointed at the bench's Mosquitto, discovery on), exactly as `hass -c DIR`
sets it up, then for --seconds records every state change (entity, state, wall time)
and every log record of level INFO and up from the mqtt integration or naming ParkHub's
topics. Writes one JSON file: the MQTT entities HA made (entity id, unique id, state),
the changes and the log records.

    .venv-ha/bin/python bench/_interop_ha.py --config DIR --seconds 60 --out result.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from homeassistant import bootstrap, runner
from homeassistant.helpers import entity_registry as er


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        about_mqtt = record.name.startswith("homeassistant.components.mqtt")
        wanted = record.levelno >= logging.WARNING or "No matching payload" in message
        if wanted and (about_mqtt or "parkhub" in message.lower()):
            self.records.append(
                {"level": record.levelname, "logger": record.name, "message": message[:400]}
            )


async def run(config_dir: Path, seconds: float, out: Path) -> int:
    collect = _Collect()
    hass = await bootstrap.async_setup_hass(
        runner.RuntimeConfig(config_dir=str(config_dir), skip_pip=True, log_no_color=True)
    )
    if hass is None:
        print("Home Assistant did not start", file=sys.stderr)
        return 1
    logging.getLogger().addHandler(collect)
    logging.getLogger("homeassistant.components.mqtt").setLevel(logging.INFO)
    changes: list[list[Any]] = []

    def on_change(event: Any) -> None:
        new = event.data.get("new_state")
        changes.append([event.data["entity_id"], new.state if new else None, time.time()])

    hass.bus.async_listen("state_changed", on_change)
    await hass.async_start()
    print("READY", flush=True)
    await asyncio.sleep(seconds)
    snapshot_at = time.time()
    registry = er.async_get(hass)
    entities = []
    for entry in registry.entities.values():
        if entry.platform != "mqtt":
            continue
        state = hass.states.get(entry.entity_id)
        picture = None
        if entry.domain == "camera":
            component = hass.data.get("entity_components", {}).get("camera")
            entity = component.get_entity(entry.entity_id) if component else None
            image = getattr(entity, "_last_image", None)
            picture = len(image) if image else 0
        entities.append(
            {
                "entity_id": entry.entity_id,
                "unique_id": entry.unique_id,
                "name": state.name if state else None,
                "state": state.state if state else None,
                "picture_bytes": picture,
            }
        )
    await hass.async_stop()
    out.write_text(  # noqa: ASYNC240 (HA has stopped: nothing else runs on the loop)
        json.dumps(
            {
                "entities": entities,
                "changes": changes,
                "log": collect.records,
                "snapshot_at": snapshot_at,
            }
        )
    )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    asyncio.set_event_loop_policy(runner.HassEventLoopPolicy(False))
    sys.exit(asyncio.run(run(args.config, args.seconds, args.out)))


if __name__ == "__main__":
    main()
