"""What /metrics costs the hot paths: main's core against this tree's, side by side.

    python bench/metrics_overhead.py --base /path/to/checkout/without/metrics

The metrics add one integer to `EventBus.async_fire` and one to `StateMachine.async_set`;
everything else is read at scrape time. bench/core.py's figures swing by +-30% run to run
on a busy machine, far more than that; this bench times the two calls themselves
(`timeit`, best of many short loops, the two trees interleaved in fresh processes) and
also the bench/core.py cases, best of N interleaved runs. Both still move by a few per
cent between rounds; the firm figure is `bound_pct`: what one `+= 1` on an attribute
costs (timed here) over each bench/core.py case's time per operation, since every case
pays exactly one (an event fired, or a state set). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
TREE = HERE.parent

# Run inside each child: ns per call of the hot paths, best of `repeat` loops.
_CHILD = r"""
import asyncio, json, sys, tempfile, timeit
from pathlib import Path
from hub.config import HubConfig
from hub.core.hub import Hub

async def main(number, repeat):
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(HubConfig(), config_dir=Path(tmp), data_dir=Path(tmp))
        states, bus = hub.states, hub.bus
        flip = iter(("on", "off") * (number * repeat + 10))
        cases = {
            "async_fire_no_listener": lambda: bus.async_fire("bench"),
            "async_set_change_no_listener": lambda: states.async_set("sensor.a", next(flip)),
        }
        bus.async_listen("bench_heard", lambda event: None)
        cases["async_fire_one_listener"] = lambda: bus.async_fire("bench_heard")
        result = {}
        for name, call in cases.items():
            best = min(timeit.repeat(call, number=number, repeat=repeat))
            result[name] = best / number * 1e9
        print(json.dumps(result))

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


def _child(tree: Path, *args: str, script: str | None = None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = (
        [sys.executable, "-c", _CHILD, *args] if script is None else [sys.executable, script, *args]
    )
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=HERE)
    result: dict[str, float] = json.loads(out.stdout)
    return result


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def bump(self) -> None:
        self.count += 1

    def nothing(self) -> None:
        pass


def _increment_ns() -> float:
    """The cost of `counter.count += 1` (the statement the metrics add), best of 9 loops.

    Timed as a statement of its own against an empty one, so call overhead and the
    loop cancel out; `counter` is a global there (slower than `self`), so this errs high.
    """
    counter, number = _Counter(), 2_000_000
    bump = min(timeit.repeat("counter.count += 1", number=number, repeat=9, globals=locals()))
    empty = min(timeit.repeat("pass", number=number, repeat=9))
    return max(0.0, (bump - empty) / number * 1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="a checkout without metrics")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved processes per tree")
    parser.add_argument("--core-runs", type=int, default=10, help="bench/core.py runs per tree")
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "metrics": TREE}
    calls: dict[str, dict[str, float]] = {name: {} for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            for case, ns in _child(tree, "200000", "7").items():
                calls[name][case] = min(ns, calls[name].get(case, ns))
    core: dict[str, dict[str, float]] = {name: {} for name in trees}
    for _ in range(args.core_runs):
        for name, tree in trees.items():
            run = _child(tree, "--n", "20000", script=str(HERE / "core.py"))
            for case, value in run.items():
                if isinstance(value, (int, float)) and case not in ("n", "peak_rss_mb"):
                    core[name][case] = max(value, core[name].get(case, 0))
    increment = min(_increment_ns() for _ in range(3))
    result = {
        "increment_ns": round(increment, 1),
        "bound_pct": {
            case: round(100 * increment * per_s / 1e9, 2) for case, per_s in core["base"].items()
        },
        "ns_per_call": {
            case: {
                "base": round(calls["base"][case], 1),
                "metrics": round(calls["metrics"][case], 1),
                "change_pct": round(100 * (calls["metrics"][case] / calls["base"][case] - 1), 2),
            }
            for case in calls["base"]
        },
        "core_best_per_s": {
            case: {
                "base": core["base"][case],
                "metrics": core["metrics"][case],
                "change_pct": round(100 * (core["metrics"][case] / core["base"][case] - 1), 2),
            }
            for case in core["base"]
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
