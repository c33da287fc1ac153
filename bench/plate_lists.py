"""Plate lists: what matching one read against allow and block lists costs on the loop.

    python bench/plate_lists.py --sizes 1000 10000

Prints one JSON object: for each list size, the median and worst time of
`PlateLists.match` for a read one character off a listed plate (the fuzzy path a real
OCR slip takes) and for a read on no list (every entry looked at), with an allow list
(max_distance 1) and a block list (max_distance 2) of that many entries each.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import time
from datetime import UTC, datetime
from typing import Any

from _common import peak_rss_mb

from hub.integrations.lpr.lists import ListEntry, ListSpec, PlateLists


def _plate(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=2))
    return f"{letters}{rng.randint(10, 99)}{letters[::-1]}{rng.randint(1000, 9999)}"


def _time(lists: PlateLists, reads: list[str], now: datetime) -> dict[str, float]:
    times = []
    for read in reads:
        start = time.perf_counter()
        lists.match(read, now)
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 4), "worst_ms": round(max(times), 4)}


def run(size: int, rounds: int) -> dict[str, Any]:
    rng = random.Random(size)
    lists = PlateLists([ListSpec("residents", "allow", 1), ListSpec("banned", "block", 2)])
    plates = [_plate(rng) for _ in range(size * 2)]
    for index, plate in enumerate(plates):
        lists.add(ListEntry("residents" if index % 2 else "banned", plate))
    now = datetime.now(UTC)
    near = [p[:-1] + ("0" if p[-1] != "0" else "1") for p in rng.sample(plates, rounds)]
    none = ["ZZ00ZZ0000"] * rounds
    lists.match(near[0], now)  # builds the per-list choice arrays once, as the first read does
    return {
        "entries_per_list": size,
        "near": _time(lists, near, now),
        "none": _time(lists, none, now),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    results = [run(size, args.rounds) for size in args.sizes]
    print(json.dumps({"lists": results, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
