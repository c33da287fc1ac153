#!/usr/bin/env bash
# Create the Home Assistant virtualenv used by bench/ha_core.py.
#
# HA 2024.3.3 (the newest release for Python 3.11) pins old aiohttp/voluptuous/jinja2,
# so it lives in its own venv, by default .venv-ha at the repo root (override: HA_VENV).
# Idempotent: does nothing if homeassistant is already importable in that venv.
#
# Usage: bash bench/setup_ha_venv.sh
set -euo pipefail

HA_VERSION="2024.3.3"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
VENV="${HA_VENV:-.venv-ha}"
PYTHON="${PYTHON:-python3}"

if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "import homeassistant" 2>/dev/null; then
    echo "homeassistant already installed in $VENV"
    exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "homeassistant==$HA_VERSION"
"$VENV/bin/python" -c "from homeassistant.const import __version__; print('homeassistant', __version__)"
