"""Setting the integration up: a missing engine or camera is a clear error, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
import voluptuous as vol

from hub.core.hub import Hub
from hub.integrations import lpr
from tests.conftest import LogGuard


async def test_missing_easyocr_weights_leave_the_hub_running(
    hub: Hub, tmp_path: Path, log_guard: LogGuard, caplog: pytest.LogCaptureFixture
) -> None:
    log_guard.allowed = True
    config = lpr.CONFIG_SCHEMA({"engine": "easyocr", "model_storage_directory": str(tmp_path)})
    assert await lpr.async_setup(hub, config) is False
    [record] = [r for r in caplog.records if r.name == "hub.integrations.lpr"]
    assert "OCR engine easyocr" in record.getMessage()
    assert "craft_mlt_25k.pth" in record.getMessage()
    assert "lpr" not in hub.data
    assert not hub.services.has_service("lpr", "scan")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"engine": "tesseract"}, "expected one of rapidocr, easyocr, platenet"),
        ({"formats": ["in", "[A-Z"]}, "neither a preset"),
        ({"cameras": [{"camera": "entry"}]}, "entity"),
        ({"cameras": [{"camera": "camera.entry", "role": "sideways"}]}, "entry, exit or both"),
        ({"cameras": [{"camera": "camera.entry", "zone": [[0, 0], [1, 1]]}]}, "3 points"),
        ({"cameras": [{"camera": "camera.entry", "fps": 0}]}, "0.2 to 30"),
        ({"media": {"keep_days": -1}}, "0 or more days"),
        ({"cameras": [{"camera": "camera.entry", "colour": "red"}]}, "extra keys"),
    ],
)
def test_bad_config_names_the_problem(config: dict[str, object], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message):
        lpr.CONFIG_SCHEMA(config)
