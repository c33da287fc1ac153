"""Fixtures of the browser tests: one hub and one browser for a whole module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import app, auth_header, token  # noqa: F401 (fixtures)

from .panel_hub import CHROMIUM, CHROMIUM_ARGS, PanelHub, chromium_missing


@pytest.fixture(autouse=True)
def blockbuster() -> None:
    """No blocking-call guard here: Playwright's sync API waits on purpose, and the hub
    runs in its own process (where nothing of the test's can block its loop)."""


@pytest.fixture(scope="module")
def panel_hub(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PanelHub]:
    """Started after the browser fixture, so a machine without Chromium skips at once."""
    hub = PanelHub(tmp_path_factory.mktemp("panel"))
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the panel tests save their screenshots.

    The README's screenshots are refreshed only when asked for
    (`PARKHUB_SCREENSHOTS=1 bash scripts/test`): an ordinary run must not leave the
    checkout changed, or every branch carries new PNGs that conflict when merged.
    """
    if os.environ.get("PARKHUB_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs"
    return tmp_path_factory.mktemp("screenshots")
