"""A hub on the bundled demo config in its own process, and a browser to look at it.

The hub runs as `parkhub run` does (`python -m hub run`), from the bundled config with
only the test machine's changes (tests/bundled_config.py), so the browser tests see
exactly what a user gets, and one test can stop and start it again. The browser is
Debian's Chromium driven by Playwright; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.bundled_config import write_test_config
from tests.mqtt_broker import free_port

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PanelHub"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
START_TIMEOUT = 90.0
_CODE = re.compile(r"Onboarding code: ([0-9A-F-]+)")


class PanelHub:
    """`parkhub run` on the demo config, on free loopback ports, restartable."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.config = write_test_config(folder, self.port, free_port())
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "hub.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        command = [sys.executable, "-m", "hub", "run", "--config", str(self.config)]
        self._process = subprocess.Popen(
            [*command, "--host", "127.0.0.1"],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the hub exited: {self.log_path.read_text()[-3000:]}")
            try:
                self.get("/api/onboarding")
                return
            except OSError:  # not listening yet, refused, or too busy starting to answer
                time.sleep(0.3)
        raise RuntimeError("the hub did not start in time")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.loads(response.read())

    def onboarding_code(self) -> str:
        codes: list[str] = _CODE.findall(self.log_path.read_text())  # one group: strings
        assert codes, "the hub logged no onboarding code"
        return codes[-1]

    def errors(self) -> list[str]:
        """Lines the hub logged at ERROR (there should be none)."""
        return [line for line in self.log_path.read_text().splitlines() if " ERROR " in line]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "Debian's chromium is not installed (scripts/test installs it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None
