"""Fixtures for the occupancy tests: a synthetic lot, and an occupancy setup factory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest

from hub.core.hub import Hub
from hub.integrations.occupancy import CONFIG_SCHEMA, async_setup
from hub.integrations.occupancy.const import DOMAIN
from hub.integrations.occupancy.lot import OccupancyLot

from .scenes import bays, draw_lot

SetupOccupancy = Callable[[dict[str, Any]], Awaitable[dict[str, OccupancyLot]]]


@pytest.fixture
def polygons() -> list[list[tuple[int, int]]]:
    return bays(columns=6, rows=2)


@pytest.fixture
def frame(polygons: list[list[tuple[int, int]]]) -> Callable[..., np.ndarray]:
    """`frame([True, False, ...], seed=1)` draws the lot with those bays taken."""

    def draw(occupied: list[bool], seed: int = 0) -> np.ndarray:
        return draw_lot(occupied, polygons, seed=seed)

    return draw


@pytest.fixture
def lot_config(polygons: list[list[tuple[int, int]]]) -> dict[str, Any]:
    return {
        "lots": {
            "north": {
                "camera": "camera.north",
                "stable_for": 3,
                "slots": [
                    {"id": f"a{index + 1}", "polygon": [list(p) for p in polygon]}
                    for index, polygon in enumerate(polygons)
                ],
            }
        }
    }


@pytest.fixture
def setup_occupancy(hub: Hub) -> SetupOccupancy:
    async def setup(config: dict[str, Any]) -> dict[str, OccupancyLot]:
        await async_setup(hub, CONFIG_SCHEMA(config))
        lots: dict[str, OccupancyLot] = hub.data[DOMAIN].lots
        return lots

    return setup


async def draw_async(draw: Callable[..., np.ndarray], *args: Any, **kwargs: Any) -> np.ndarray:
    """Drawing is CPU work: off the loop, as blockbuster wants."""
    return await asyncio.to_thread(draw, *args, **kwargs)
