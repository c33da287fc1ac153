"""The bundled config.yaml, as a test machine can run it.

Tests that build the whole hub from the bundled config write this copy: the same file
with only what a test machine needs changed (the web server and the embedded broker on
free loopback ports, discovery on loopback and not announcing, the demo lot's files by
absolute path, since paths in the config are relative to it). The hub loads it as it
would a user's file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hub.yaml_loader import load_yaml
from tests.mqtt_broker import TEST_ACCOUNT, free_port

__all__ = ["BUNDLED", "write_test_config"]

BUNDLED = Path(__file__).resolve().parents[1] / "config.yaml"


def _plain(value: Any) -> Any:
    """The loader's line-aware nodes as plain dicts and lists, for yaml.safe_dump."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def write_test_config(folder: Path, web_port: int, mqtt_port: int) -> Path:
    """Write the adjusted copy to `folder/config.yaml` and return its path (blocking I/O:
    call it through `asyncio.to_thread` from a test)."""
    config = _plain(load_yaml(BUNDLED))
    config["hub"]["port"] = web_port
    config["mqtt"]["embedded"] = {
        "host": "127.0.0.1",
        "port": mqtt_port,
        "users": [TEST_ACCOUNT],
    }
    config["discovery"].update(
        interfaces=["127.0.0.1"], announce=False, onvif_target=f"127.0.0.1:{free_port()}"
    )
    for lot in config["occupancy"]["lots"].values():
        for key in ("slots_file", "model"):
            lot[key] = str(BUNDLED.parent / lot[key])
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
