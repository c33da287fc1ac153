"""Where `parkhub` finds its config and keeps its data, the same for every command.

`run`, `check-config`, `token create` and the others agree on both, so a token made
without `--data` lands where the hub that serves it reads:

- config: `--config`, else `$PARKHUB_CONFIG`, else `config.yaml` in the current folder,
  else the demo lot bundled in the package (`parkhub init` copies it out to edit);
- data: `--data`, else `$PARKHUB_DATA`, else the config's `hub: data_dir` (relative to
  the config file), else `data/` beside the config; for the bundled demo, whose file sits
  inside the installed package, `data/` in the current folder.

Stdlib only: `parkhub --help` must not pay for aiohttp or numpy.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CONFIG_ENV",
    "CONFIG_HELP",
    "DATA_ENV",
    "DATA_HELP",
    "ConfigChoice",
    "bundled_config",
    "choose_config",
    "choose_data",
    "demo_config_text",
    "write_starter",
]

CONFIG_ENV = "PARKHUB_CONFIG"
DATA_ENV = "PARKHUB_DATA"
CONFIG_HELP = f"config file (default: ${CONFIG_ENV}, else ./config.yaml, else the bundled demo)"
DATA_HELP = (
    f"data directory (default: ${DATA_ENV}, else hub: data_dir, else data/ beside the config)"
)
CONFIG_NAME = "config.yaml"
_PACKAGE = Path(__file__).resolve().parent
_DEMO = _PACKAGE / "integrations" / "demo"
# The demo lot's own files, which the bundled config names relative to the repository.
DEMO_FILES = ("slots.yaml", "occupancy_model.json")
_DEMO_PREFIX = re.compile(r"\bhub/integrations/demo/")


@dataclass(frozen=True, slots=True)
class ConfigChoice:
    path: Path
    bundled: bool  # the package's demo lot, not a file the user has


def bundled_config() -> Path:
    """The demo lot's config: in a wheel, `hub/integrations/demo/config.yaml` (written there
    by the build from the repository's `config.yaml`); in a source checkout, that file."""
    packaged = _DEMO / CONFIG_NAME
    return packaged if packaged.is_file() else _PACKAGE.parent / CONFIG_NAME


def demo_config_text(source: str) -> str:
    """The repository's config.yaml as it reads beside the demo's files (paths made local)."""
    return _DEMO_PREFIX.sub("", source)


def choose_config(given: Path | None) -> ConfigChoice:
    if given is not None:
        return ConfigChoice(given, False)
    if env := os.environ.get(CONFIG_ENV):
        return ConfigChoice(Path(env), False)
    local = Path(CONFIG_NAME)
    if local.exists():
        return ConfigChoice(local, False)
    return ConfigChoice(bundled_config(), True)


def choose_data(given: Path | None, config: ConfigChoice) -> Path | None:
    """The data folder to force, or None for the config's own (`hub: data_dir` or data/)."""
    if given is not None:
        return given.resolve()
    if env := os.environ.get(DATA_ENV):
        return Path(env).resolve()
    if config.bundled:
        return Path("data").resolve()
    return None


def write_starter(folder: Path, *, force: bool = False) -> Path:
    """Write the demo lot's config (every option commented) and its files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CONFIG_NAME
    if target.exists() and not force:
        raise FileExistsError(f"{target} already exists (--force replaces it)")
    source = bundled_config()
    target.write_text(demo_config_text(source.read_text(encoding="utf-8")), encoding="utf-8")
    for name in DEMO_FILES:
        shutil.copyfile(_DEMO / name, folder / name)
    return target
