"""Time triggers across daylight-saving changes follow Home Assistant 2024.3's rules.

Europe/Amsterdam, 2026: clocks go forward on 29 March (02:00 CET -> 03:00 CEST) and back on
25 October (03:00 CEST -> 02:00 CET). HA skips a time the clocks jump over (`at: "02:30"`
fires the next day) and fires a time in the repeated hour twice, once per pass.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.automations.triggers.time import next_daily, next_pattern
from hub.config import HubConfig
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from tests.automations.conftest import SetupAutomations, record
from tests.conftest import Clock

AMSTERDAM = HubConfig(time_zone="Europe/Amsterdam")


def automation(trigger: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "dst",
        "triggers": [trigger],
        "actions": [record(at="{{ trigger.now.isoformat() }}")],
    }


@pytest.mark.parametrize("hub_config", [AMSTERDAM])
async def test_hourly_pattern_fires_on_the_repeated_two_oclock(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.scheduler.freeze(datetime(2026, 10, 24, 22, 30, tzinfo=UTC))  # 00:30 CEST
    await setup_automations([automation({"trigger": "time_pattern", "minutes": 0})])
    await clock.advance(hours=5)
    assert [call.data["at"] for call in calls] == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",  # the same wall time again, an hour later
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T04:00:00+01:00",
    ]


@pytest.mark.parametrize("hub_config", [AMSTERDAM])
async def test_time_in_the_repeated_hour_fires_in_both_passes(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.scheduler.freeze(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    await setup_automations([automation({"trigger": "time", "at": "02:30"})])
    await clock.advance(days=2)
    assert [call.data["at"] for call in calls] == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-26T02:30:00+01:00",
    ]


@pytest.mark.parametrize("hub_config", [AMSTERDAM])
async def test_time_skipped_by_spring_forward_fires_the_next_day(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.scheduler.freeze(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    await setup_automations(
        [
            automation({"trigger": "time", "at": "02:30"}),
            automation({"trigger": "time_pattern", "minutes": 0}) | {"id": "hourly"},
        ]
    )
    await clock.advance(hours=18)  # to 2026-03-29 06:00 UTC (08:00 CEST)
    hourly = [call.data["at"] for call in calls]
    assert "2026-03-29T01:00:00+01:00" in hourly
    assert not any(at.startswith("2026-03-29T02:") for at in hourly)  # 02:00 never happens
    assert "2026-03-29T03:00:00+02:00" in hourly
    calls.clear()
    await clock.advance(days=1)
    assert "2026-03-30T02:30:00+02:00" in [call.data["at"] for call in calls]


def test_next_moments_without_a_hub() -> None:
    from datetime import time
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Amsterdam")
    before_spring = datetime(2026, 3, 29, 1, 0, tzinfo=tz)
    assert next_daily(before_spring, time(2, 30)).isoformat() == "2026-03-30T02:30:00+02:00"
    first_pass = datetime(2026, 10, 25, 0, 0, tzinfo=UTC).astimezone(tz)  # 02:00 CEST
    second = next_pattern(first_pass, "*", "0", "0")
    assert second.isoformat() == "2026-10-25T02:00:00+01:00"
    assert second.timestamp() - first_pass.timestamp() == 3600
