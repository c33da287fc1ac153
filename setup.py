"""The one build step pyproject.toml cannot say: ship the demo lot's config in the wheel.

The repository's `config.yaml` is the demo lot (and the file engineers edit); the wheel
carries a copy as `hub/integrations/demo/config.yaml`, with the demo's file paths made
relative to that folder, so `parkhub run` with no config runs the demo from any folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithDemoConfig(build_py):
    def run(self) -> None:
        super().run()
        text = (ROOT / "config.yaml").read_text(encoding="utf-8")
        # The same rewrite as hub.paths.demo_config_text (setup.py cannot import hub).
        target = Path(self.build_lib) / "hub" / "integrations" / "demo" / "config.yaml"
        target.write_text(re.sub(r"\bhub/integrations/demo/", "", text), encoding="utf-8")


setup(cmdclass={"build_py": BuildWithDemoConfig})
