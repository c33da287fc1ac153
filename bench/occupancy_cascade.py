"""What the texture-then-network cascade (docs/occupancy.md, fourth attempt) costs on
bench/occupancy.py's frame: 100 slots of a 1280x720 JPEG, one core.

    python bench/occupancy_cascade.py --net /tmp/occ2/nets_c48/without_ufpr05.onnx

Each round times, one after the other on the same frame: the JPEG decode, the texture
model on all 100 slots (`SlotClassifier.probabilities`, as bench/occupancy.py's
`classify_100_ms`), and for each k the network's share of the cascade on k of the
slots: their 48x48 colour patches cut with precomputed maps (as patches.py cuts them,
at twice the size and box-filtered down) and the ONNX network on that batch (one
thread). Prints one JSON object of medians over the rounds, and each cost as a
fraction of the decode.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.occupancy import grid_slots, make_jpegs  # noqa: E402
from hub.integrations.occupancy.classifier import SlotClassifier  # noqa: E402
from hub.integrations.occupancy.sampler import Polygon, slot_quad  # noqa: E402

SIZE = 48
SENT = (1, 2, 5, 10, 20, 100)


def slot_maps(polygons: list[Polygon]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Per slot (N, 2*SIZE, 2*SIZE) remap coordinates, built once per layout."""
    side = 2 * SIZE
    target = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) + 0.5
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size, np.float32)])
    map_x = np.empty((len(polygons), side, side), np.float32)
    map_y = np.empty_like(map_x)
    for index, polygon in enumerate(polygons):
        source = cv2.getPerspectiveTransform(target, slot_quad(polygon)) @ grid
        map_x[index] = (source[0] / source[2]).reshape(side, side) - 0.5
        map_y[index] = (source[1] / source[2]).reshape(side, side) - 0.5
    return map_x, map_y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", type=Path, required=True, help="an ONNX slot network (48x48)")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    slots = grid_slots()
    polygons: list[Polygon] = [[(float(x), float(y)) for x, y in slot] for slot in slots]
    buffer = np.frombuffer(make_jpegs(slots, 1, seed=1)[0], np.uint8)
    frame = np.asarray(cv2.imdecode(buffer, cv2.IMREAD_COLOR), np.uint8)
    classifier = SlotClassifier(polygons)
    map_x, map_y = slot_maps(polygons)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(args.net), options, providers=["CPUExecutionProvider"])
    order = np.random.default_rng(0).permutation(len(slots))

    def network(k: int) -> Callable[[], object]:
        chosen = np.sort(order[:k])

        def run() -> object:
            mx = map_x[chosen].reshape(-1, 2 * SIZE)
            my = map_y[chosen].reshape(-1, 2 * SIZE)
            big = cv2.remap(frame, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
            small = cv2.resize(big, (SIZE, SIZE * k), interpolation=cv2.INTER_AREA)
            return session.run(None, {"patches": small.reshape(k, SIZE, SIZE, 3)})

        return run

    jobs: dict[str, Callable[[], object]] = {
        "decode": lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR),
        "texture_100": lambda: classifier.probabilities(frame),
        **{f"net_{k}": network(k) for k in SENT},
    }
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for job in jobs.values():
        job()
    for _ in range(args.repeat):
        for name, job in jobs.items():
            started = time.perf_counter()
            job()
            times[name].append(time.perf_counter() - started)
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    decode = ms["decode"]
    print(
        json.dumps(
            {
                "net": args.net.name,
                "repeat": args.repeat,
                "median_ms": {name: round(value, 3) for name, value in ms.items()},
                "vs_decode": {name: round(value / decode, 3) for name, value in ms.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
