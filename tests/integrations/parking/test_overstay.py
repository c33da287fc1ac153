"""Overstay fires once per session at the lot's or the list's limit; extending re-arms it."""

from __future__ import annotations

from datetime import timedelta

from hub.core.hub import Hub
from tests.conftest import Clock

from .conftest import SetupParking, db_rows, recorded
from .payloads import read_plate


async def test_overstay_once_then_again_after_extend(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    overstays = recorded(hub, "overstay")
    entry = read_plate(hub, "PH12CAR")
    await clock.advance(hours=3, minutes=59)
    assert overstays == []
    await clock.advance(minutes=1)
    [event] = overstays
    assert event.context.parent_id == entry.id
    assert event.data["plate"] == "PH12CAR"
    assert event.data["lot"] == "demo"
    assert event.data["max_stay_s"] == 4 * 3600
    assert event.data["minutes"] == 0
    assert event.data["stay_minutes"] == 240
    await clock.advance(hours=5)
    assert len(overstays) == 1
    [row] = await db_rows(hub)
    assert row["overstay_fired"] == 1

    # The attendant allows two hours more, counted on top of the limit (4 h + 2 h).
    await hub.services.async_call(
        "parking", "extend", {"plate": "PH12CAR", "duration": {"hours": 2}}
    )
    await hub.async_block_till_done()
    # Already past 6 hours: it fires again at once, with how far over it is.
    await clock.advance(seconds=1)
    assert len(overstays) == 2
    assert overstays[1].data["max_stay_s"] == 6 * 3600
    assert overstays[1].data["minutes"] == 180


async def test_extend_before_the_limit_moves_it(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    overstays = recorded(hub, "overstay")
    read_plate(hub, "PH12CAR")
    await clock.advance(hours=3)
    await hub.services.async_call("parking", "extend", {"plate": "PH12CAR", "duration": "1h"})
    await clock.advance(hours=1, minutes=59)
    assert overstays == []
    await clock.advance(minutes=1)
    assert len(overstays) == 1


async def test_list_limit_wins_and_exit_disarms(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    overstays = recorded(hub, "overstay")
    read_plate(hub, "STAFF1", list="staff", listed="allow")
    read_plate(hub, "VISIT1")
    await clock.advance(hours=4)
    assert [event.data["plate"] for event in overstays] == ["VISIT1"]
    await clock.advance(hours=7)
    read_plate(hub, "STAFF1", camera="camera.exit", direction="exit")
    await clock.advance(timedelta(hours=2).total_seconds())
    assert [event.data["plate"] for event in overstays] == ["VISIT1"]  # left before 12 h
