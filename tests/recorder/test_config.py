"""The `recorder:` block: defaults, every key, and the mistakes it refuses."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol

from hub.recorder import CONFIG_SCHEMA, RecorderConfig


def test_an_empty_block_gives_the_defaults(tmp_path: Path) -> None:
    config = RecorderConfig.from_dict(CONFIG_SCHEMA(None), tmp_path)
    assert config == RecorderConfig(db_path=tmp_path / "parkhub.db")
    assert config.commit_interval == 1.0
    assert config.keep_days == 10
    assert config.purge_time == time(4, 12)


def test_every_key(tmp_path: Path) -> None:
    validated = CONFIG_SCHEMA(
        {
            "db_path": "history/lot.db",
            "commit_interval": {"milliseconds": 500},
            "keep_days": "30",
            "purge_time": "03:30",
            "exclude": {
                "domains": "camera",
                "entities": ["Sensor.*_Debug", "sensor.lpr_raw"],
                "event_types": ["call_service"],
            },
        }
    )
    config = RecorderConfig.from_dict(validated, tmp_path)
    assert config.db_path == tmp_path / "history" / "lot.db"
    assert config.commit_interval == 0.5
    assert config.keep_days == 30
    assert config.purge_time == time(3, 30)
    assert config.exclude_domains == {"camera"}
    assert config.exclude_event_types == {"call_service"}
    assert not config.records_entity("camera.entry")
    assert not config.records_entity("sensor.lot_debug")
    assert not config.records_entity("sensor.lpr_raw")
    assert config.records_entity("sensor.lot_free_spaces")


def test_an_absolute_db_path_is_kept(tmp_path: Path) -> None:
    config = RecorderConfig.from_dict(CONFIG_SCHEMA({"db_path": "/var/lib/x.db"}), tmp_path)
    assert config.db_path == Path("/var/lib/x.db")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"keepdays": 3}, "extra keys not allowed"),
        ({"keep_days": 0}, "expected a positive int"),
        ({"commit_interval": 0}, "longer than zero"),
        ({"purge_time": "25:00"}, "expected a time of day"),
        ({"exclude": {"entities": ["sensor"]}}, "invalid entity pattern"),
        ({"exclude": {"domain": ["camera"]}}, "extra keys not allowed"),
    ],
)
def test_mistakes_are_refused(block: dict[str, Any], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message):
        CONFIG_SCHEMA(block)


def test_a_postgres_url_is_taken_and_other_urls_are_refused(tmp_path: Path) -> None:
    url = "postgresql://parkhub:secret@db.example/parkhub"
    config = RecorderConfig.from_dict(CONFIG_SCHEMA({"db_url": url}), tmp_path)
    assert config.target == url
    assert config.target_label == "postgresql://parkhub:***@db.example/parkhub"
    with pytest.raises(vol.Invalid, match="db_url"):
        CONFIG_SCHEMA({"db_url": "mysql://db.example/parkhub"})
    with pytest.raises(vol.Invalid, match="not both"):
        CONFIG_SCHEMA({"db_url": url, "db_path": "lot.db"})
