"""Side-by-side core benchmark: ParkHub (bench/core.py) vs Home Assistant (bench/ha_core.py).

Alternates subprocess runs parkhub/ha/parkhub/ha/... (--runs of each, so machine noise
hits both sides alike), then prints one JSON object with the per-case median ops/s of
each side, the ratio parkhub/ha per case, the max peak RSS of each side, and whether
every ratio reaches the 2x target. Stdlib only; runs under the repo's own Python.

    python bench/compare.py --n 20000 --runs 5 --ha-python .venv-ha/bin/python

The HA venv comes from bench/setup_ha_venv.sh.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
CASES = ("fire_event_callback", "fire_event_coroutine", "set_new_state", "tracked_state_change")
TARGET_RATIO = 2.0


def run_once(python: str, script: str, n: int) -> dict[str, Any]:
    """Run one benchmark script in a subprocess and parse its JSON line."""
    cmd = [python, script, "--n", str(n)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=BENCH.parent)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Parse args, alternate the runs, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ha-python", default=".venv-ha/bin/python")
    # Hidden, for testing compare.py itself (e.g. ha_core.py on both sides).
    parser.add_argument("--parkhub-script", default=str(BENCH / "core.py"), help=argparse.SUPPRESS)
    parser.add_argument("--parkhub-python", default=sys.executable, help=argparse.SUPPRESS)
    args = parser.parse_args()

    ha_python = Path(args.ha_python)  # relative: to the cwd, else to the repo root
    if not ha_python.is_absolute() and not ha_python.exists():
        ha_python = BENCH.parent / ha_python
    sides = {
        "parkhub": (args.parkhub_python, args.parkhub_script),
        "homeassistant": (str(ha_python.absolute()), str(BENCH / "ha_core.py")),
    }
    results: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    for _ in range(args.runs):
        for side, (python, script) in sides.items():
            results[side].append(run_once(python, script, args.n))

    medians = {
        side: {case: round(statistics.median(r[case] for r in runs), 1) for case in CASES}
        for side, runs in results.items()
    }
    ratio = {
        case: round(medians["parkhub"][case] / medians["homeassistant"][case], 3) for case in CASES
    }
    summary = {
        "n": args.n,
        "runs": args.runs,
        **medians,
        "ratio": ratio,
        "peak_rss_mb": {side: max(r["peak_rss_mb"] for r in rs) for side, rs in results.items()},
        "target_ratio": TARGET_RATIO,
        "meets_target": all(r >= TARGET_RATIO for r in ratio.values()),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
