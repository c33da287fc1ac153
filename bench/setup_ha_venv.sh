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

# What `hass` would pip-install at its first start for its default integrations and MQTT
# (bench/interop.py runs a whole Home Assistant, so nothing may be missing: a failed
# frontend sends it into recovery mode); josepy 2 broke the acme that cloud imports.
HA_EXTRAS=(
    "paho-mqtt==1.6.1" "home-assistant-frontend==20240307.0" "janus==1.0.0" "Pillow==10.2.0"
    "psutil-home-assistant==0.0.1" "securetar==2024.2.1" "josepy<2" "SQLAlchemy==2.0.27"
    "fnv-hash-fast==0.5.0" "numpy==1.26.0" "PyTurboJPEG==1.7.1"
)

if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "import homeassistant, janus, sqlalchemy" 2>/dev/null; then
    echo "homeassistant already installed in $VENV"
    exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "homeassistant==$HA_VERSION" "${HA_EXTRAS[@]}"
"$VENV/bin/python" -c "from homeassistant.const import __version__; print('homeassistant', __version__)"
