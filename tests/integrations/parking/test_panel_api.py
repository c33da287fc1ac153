"""What the panel's Sessions page asks of parking: search, live fee, CSV, anomalies."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.integrations.parking.export import anomaly_list, sessions_csv_bytes
from hub.recorder import CONFIG_SCHEMA, RecorderConfig, async_setup_recorder
from tests.conftest import Clock
from tests.web.conftest import AiohttpClient

from .conftest import SetupParking
from .payloads import read_plate

Client = TestClient[Any, Any]


@pytest.fixture
async def client(
    hub: Hub,
    clock: Clock,
    app: web.Application,
    setup_parking: SetupParking,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
) -> Client:
    """Parking with one car that left (40 min, unpaid) and one still inside (for 2 h)."""
    await setup_parking()
    read_plate(hub, "KA01AB1234")
    read_plate(hub, "AB12CDE")
    await clock.advance(minutes=40)
    read_plate(hub, "KA01AB1234", camera="camera.exit", direction="exit")
    await clock.advance(minutes=80)
    await hub.async_block_till_done()
    return await aiohttp_client(app, headers=auth_header)


async def _plates(client: Client, **query: str) -> list[str]:
    response = await client.get("/api/parking/sessions", params=query)
    assert response.status == 200, await response.text()
    return [item["plate"] for item in (await response.json())["sessions"]]


async def test_search_by_status_and_date(client: Client, clock: Clock) -> None:
    assert await _plates(client, status="open") == ["AB12CDE"]
    assert await _plates(client, status="closed") == ["KA01AB1234"]
    # Unpaid: what is owed, so the car still inside too.
    assert sorted(await _plates(client, status="unpaid")) == ["AB12CDE", "KA01AB1234"]
    assert await _plates(client, status="paid") == []
    today = clock.now().date()
    assert sorted(await _plates(client, **{"from": today.isoformat()})) == [
        "AB12CDE",
        "KA01AB1234",
    ]
    tomorrow = today + timedelta(days=1)
    assert await _plates(client, **{"from": tomorrow.isoformat()}) == []
    assert len(await _plates(client, to=today.isoformat())) == 2
    response = await client.get("/api/parking/sessions", params={"status": "lost"})
    assert response.status == 400
    assert "status" in (await response.json())["error"]
    response = await client.get("/api/parking/sessions", params={"from": "yesterday"})
    assert (await response.json())["error"].startswith("invalid query: from: expected a date")


async def test_an_open_session_carries_its_fee_so_far(client: Client) -> None:
    response = await client.get("/api/parking/sessions", params={"status": "open"})
    [inside] = (await response.json())["sessions"]
    assert inside["fee"] is None
    assert inside["fee_so_far"] == 500  # two started hours at 2.50


async def test_csv_is_what_the_filters_show(client: Client) -> None:
    response = await client.get("/api/parking/sessions.csv", params={"status": "closed"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert [(row["plate"], row["status"], row["fee"]) for row in rows] == [
        ("KA01AB1234", "closed", "250")
    ]


def test_csv_cells_are_never_formulas() -> None:
    text = sessions_csv_bytes([{"plate": "=HYPERLINK(1)", "lot": "-1+2"}]).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["plate"] == "'=HYPERLINK(1)"
    assert row["lot"] == "'-1+2"


async def test_anomalies_and_their_acknowledgement(hub: Hub, client: Client) -> None:
    await async_setup_recorder(hub, RecorderConfig.from_dict(CONFIG_SCHEMA({}), hub.data_dir))
    read_plate(hub, "ZZ99ZZZ", camera="camera.exit", direction="exit")  # never came in
    await hub.async_block_till_done()
    found = (await (await client.get("/api/parking/anomalies")).json())["anomalies"]
    [anomaly] = [item for item in found if item["plate"] == "ZZ99ZZZ"]
    assert anomaly["kind"] == "exit_without_entry"
    assert anomaly["acknowledged"] is None
    answer = await client.post(
        "/api/services/parking/acknowledge_anomaly", json={"anomaly_id": anomaly["id"]}
    )
    assert answer.status == 200, await answer.text()
    found = (await (await client.get("/api/parking/anomalies")).json())["anomalies"]
    [anomaly] = [item for item in found if item["plate"] == "ZZ99ZZZ"]
    assert anomaly["acknowledged"]["time"]
    response = await client.get("/api/parking/anomalies", params={"days": "0"})
    assert response.status == 400


def test_anomaly_list_newest_first_with_acknowledgements() -> None:
    def event(kind: str, context_id: str, data: dict[str, str]) -> dict[str, object]:
        return {
            "event_type": kind,
            "data": data,
            "time_fired": f"2026-12-07T10:00:0{context_id}+00:00",
            "context": {"id": context_id, "parent_id": None, "user_id": "u1"},
        }

    found = anomaly_list(
        [
            event("anomaly", "1", {"kind": "near_match", "plate": "A"}),
            event("anomaly", "2", {"kind": "blocked_plate", "plate": "B"}),
            event("parking_anomaly_acknowledged", "3", {"anomaly_id": "1"}),
        ],
        {"u1": "olga"},
    )
    assert [item["plate"] for item in found] == ["B", "A"]
    assert found[0]["acknowledged"] is None
    assert found[1]["acknowledged"]["user"] == "olga"


async def test_a_misread_is_fixed_on_the_open_session(hub: Hub, client: Client) -> None:
    [inside] = (await (await client.get("/api/parking/sessions?status=open")).json())["sessions"]
    answer = await client.post(
        "/api/services/parking/correct_plate", json={"session_id": inside["id"], "plate": "AB12CDF"}
    )
    assert answer.status == 200, await answer.text()
    assert await _plates(client, status="open") == ["AB12CDF"]
    read_plate(hub, "AB12CDF", camera="camera.exit", direction="exit")  # its exit finds it
    await hub.async_block_till_done()
    assert await _plates(client, status="open") == []
    closed = await client.post(
        "/api/services/parking/correct_plate", json={"session_id": inside["id"], "plate": "X1"}
    )
    assert closed.status == 400
