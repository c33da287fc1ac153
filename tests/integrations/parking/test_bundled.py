"""The bundled config.yaml's parking section: valid, and priced as its comments say."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.bootstrap import load
from hub.integrations.parking.config import parking_config
from hub.integrations.parking.tariff import compute_fee, surcharge_multiplier
from tests.bundled_config import BUNDLED


async def test_bundled_demo_lot_tariff() -> None:
    loaded = await asyncio.to_thread(load, BUNDLED)
    zone = await asyncio.to_thread(ZoneInfo, loaded.hub.time_zone)
    lot = parking_config(loaded.sections["parking"]).lots["demo"]
    assert lot.cameras == {"camera.entry": "entry", "camera.exit": "exit"}
    assert lot.max_stay_for(None) == timedelta(hours=4)
    assert lot.max_stay_for("residents") is None
    assert lot.free_spaces_entity == "sensor.demo_free_spaces"
    afternoon = datetime(2026, 11, 22, 13, 0, tzinfo=zone)

    def fee(
        hours: float,
        entry: datetime = afternoon,
        *,
        lists: Iterable[str] = (),
        multiplier: float = 1.0,
    ) -> int:
        exit = entry + timedelta(hours=hours)
        return compute_fee(lot.tariff, entry, exit, zone, lists=lists, multiplier=multiplier)

    assert fee(0.25) == 0
    assert fee(2.5) == 750
    assert fee(2.5, lists=["residents"]) == 0
    assert fee(9) == 1500  # 24-hour maximum
    assert fee(3, entry=datetime(2026, 11, 22, 22, 0, tzinfo=zone)) == 300  # night rate
    assert surcharge_multiplier(lot.tariff, 2) == 1.5
    assert fee(1, multiplier=1.5) == 375
