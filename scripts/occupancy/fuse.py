"""Fuse the texture model with the slot network, measured strictly leave-one-view-out.

    python scripts/occupancy/fuse.py --converted /tmp/occupancy-data \
        --patches /tmp/occupancy-patches --nets /tmp/occ2/nets_c48 --pairs /tmp/occ4/pairs

For each view V, both models are the ones trained without V: the texture model
(train.py's recipe) on the outlined lots other than V (for the CNRPark views, all three),
the network `--nets/without_V.onnx` (train_net.py --leave-out V). Each slot's two
answers are matched by name (as patches.py names them) and label. Fusions:

- `mean_prob`, `mean_logit`: the two probabilities (or logits) averaged; nothing tuned.
- `cascade_net`, `cascade_mean`: the texture model decides where it is sure
  (|p - 0.5| >= band), the network (or the mean) elsewhere. The band is chosen on the
  other views only, nested: for each other view U, both models trained without U *and* V
  (`--pairs/without_V+U.onnx` or `without_U+V.onnx`, train_net.py --exclude), the band
  by one of two rules fixed beforehand (choose_band: `mean`, the best accuracy averaged
  over the views U, each the same weight; `no_harm`, the best smallest gain over the
  texture model alone; the smaller band on a tie). V's labels never choose anything.

Prints one JSON object: per view each method's accuracy and both recalls, the chosen
bands and the share of V's slots the cascade sent on (which sets its cost). The texture
features of each view are cached in --cache (the frames are decoded once).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train import score, train

from hub.integrations.occupancy.classifier import SlotClassifier
from hub.integrations.occupancy.dataset import find_frames
from hub.integrations.occupancy.model import sigmoid
from hub.integrations.occupancy.samples import SlotClassifiers

DATASETS = Path("/work/shared/datasets/occupancy")
VIEWS = ("ufpr05", "aerial", "carpark", "cnr-a", "cnr-b")
OUTLINED = ("ufpr05", "aerial", "carpark")
BANDS = tuple(round(0.025 * i, 3) for i in range(21))  # 0: texture alone; 0.5: all sent on
NET_SIZE = 48
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Features = npt.NDArray[np.float32]


def texture_features(
    view: str, converted: Path, datasets: Path
) -> tuple[Features, Bools, list[str]]:
    """Features, labels and patches.py's name of every labelled slot of a view, measured
    as a running lot measures them (a CNRPark crop is its own frame, its square the slot)."""
    rows, labels, names = [], [], []
    if view in OUTLINED:
        classifiers = SlotClassifiers()
        folder = datasets / "pklot-ufpr05" if view == "ufpr05" else converted / view
        for frame in find_frames(folder):
            image = cv2.imread(str(frame.image), cv2.IMREAD_COLOR) if frame.spaces else None
            if image is None:
                continue
            rows.append(classifiers.for_frame(frame).features(np.asarray(image, np.uint8)))
            labels += [space.occupied for space in frame.spaces]
            names += [f"{frame.image.name}#{space.id}" for space in frame.spaces]
    else:
        camera = datasets / "cnrpark-patches" / view[-1].upper()
        squares: dict[tuple[int, int], SlotClassifier] = {}
        for kind in ("busy", "free"):
            for path in sorted((camera / kind).glob("*.jpg")):
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is None:
                    continue
                h, w = image.shape[:2]
                if (w, h) not in squares:
                    square = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
                    squares[w, h] = SlotClassifier([square])
                rows.append(squares[w, h].features(np.asarray(image, np.uint8)))
                labels.append(kind == "busy")
                names.append(f"{camera.name}/{kind}/{path.name}")
    return np.concatenate(rows), np.asarray(labels, bool), names


def cached_features(view: str, args: argparse.Namespace) -> tuple[Features, Bools, list[str]]:
    path = args.cache / f"{view}.npz"
    if not path.exists():
        features, labels, names = texture_features(view, args.converted, args.datasets)
        args.cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, features=features, occupied=labels, names=np.asarray(names))
    with np.load(path) as data:
        return data["features"], data["occupied"], [str(n) for n in data["names"]]


def net_logits(model: Path, patches: npt.NDArray[np.uint8]) -> Floats:
    """The ONNX network's logits on stored 64x64 patches, shrunk as train_net.to_net does."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    n = len(patches)
    tall = patches.reshape(n * 64, 64, 3)
    small = cv2.resize(tall, (NET_SIZE, NET_SIZE * n), interpolation=cv2.INTER_AREA)
    small = small.reshape(n, NET_SIZE, NET_SIZE, 3)
    out = [session.run(None, {"patches": small[i : i + 512]})[0] for i in range(0, n, 512)]
    return np.concatenate(out).astype(np.float64)


class View:
    """One view's slots in the texture features' order, with the network's patches
    matched to them by name."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        self.name = name
        self.features, self.occupied, names = cached_features(name, args)
        with np.load(args.patches / f"{name}.npz") as data:
            index = {str(n): i for i, n in enumerate(data["names"])}
            if len(index) != len(data["names"]) or set(index) != set(names):
                raise SystemExit(f"{name}: the patches and the features name other slots")
            order = np.array([index[n] for n in names])
            self.patches = data["patches"][order]
            if not np.array_equal(data["occupied"][order], self.occupied):
                raise SystemExit(f"{name}: the patches and the features disagree on labels")


def texture_logits(views: dict[str, View], test: str, without: set[str]) -> Floats:
    """The texture model trained on the outlined lots not in `without`, on view `test`."""
    model = train([(views[v].features, views[v].occupied) for v in OUTLINED if v not in without])
    return model.logits(views[test].features.astype(np.float64))


def cascade(texture: Floats, second: Floats, band: float) -> tuple[Bools, float]:
    """Texture's answer where |p - 0.5| >= band, `second`'s elsewhere; and the share sent on."""
    p = sigmoid(texture)
    unsure = np.abs(p - 0.5) < band
    return np.where(unsure, second >= 0.5, p >= 0.5), float(unsure.mean())


FUSIONS: dict[str, Callable[[Floats, Floats], Floats]] = {
    "net": lambda t, n: sigmoid(n),
    "mean": lambda t, n: (sigmoid(t) + sigmoid(n)) / 2,
}


def choose_band(
    inner: dict[str, tuple[Floats, Floats, Bools]],
    second: Callable[[Floats, Floats], Floats],
    rule: str,
) -> float:
    """The band chosen on the inner views (the smaller on a tie): `mean`, the best
    accuracy averaged over them; `no_harm`, the best smallest gain over the texture
    model alone on any of them (the issue's "no view materially worse")."""
    best, chosen = -np.inf, 0.0
    for band in BANDS:
        gains = [
            float((cascade(t, second(t, n), band)[0] == y).mean() - ((t >= 0) == y).mean())
            for t, n, y in inner.values()
        ]
        value = float(np.mean(gains)) if rule == "mean" else min(gains)
        if value > best + 1e-9:
            best, chosen = value, band
    return chosen


RULES = ("mean", "no_harm")


def pair_net(pairs: Path, a: str, b: str) -> Path:
    for name in (f"without_{a}+{b}.onnx", f"without_{b}+{a}.onnx"):
        if (pairs / name).exists():
            return pairs / name
    raise SystemExit(f"no network trained without {a} and {b} in {pairs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--converted", type=Path, required=True, help="make_datasets.py --out")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--patches", type=Path, required=True, help="patches.py --out")
    parser.add_argument("--nets", type=Path, required=True, help="without_VIEW.onnx files")
    parser.add_argument("--pairs", type=Path, help="without_U+V.onnx files (nested cascade)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/occupancy-features"))
    parser.add_argument("--view", choices=VIEWS, action="append", help="default: all")
    args = parser.parse_args()
    views = {name: View(name, args) for name in VIEWS}
    report: dict[str, object] = {"bands": list(BANDS)}
    for test in args.view or VIEWS:
        view = views[test]
        y = view.occupied
        texture = texture_logits(views, test, {test})
        net = net_logits(args.nets / f"without_{test}.onnx", view.patches)
        row: dict[str, object] = {
            "texture": score(texture >= 0, y),
            "net": score(net >= 0, y),
            "mean_prob": score(FUSIONS["mean"](texture, net) >= 0.5, y),
            "mean_logit": score(texture + net >= 0, y),
        }
        if args.pairs is not None:
            inner = {}
            for other in (v for v in VIEWS if v != test):
                inner[other] = (
                    texture_logits(views, other, {test, other}),
                    net_logits(pair_net(args.pairs, test, other), views[other].patches),
                    views[other].occupied,
                )
            for kind, second in FUSIONS.items():
                for rule in RULES:
                    band = choose_band(inner, second, rule)
                    predicted, share = cascade(texture, second(texture, net), band)
                    row[f"cascade_{kind}_{rule}"] = {
                        **score(predicted, y),
                        "band": band,
                        "sent": round(share, 4),
                    }
        # In-sample, for reading only: each band's accuracy and share on V itself.
        row["curve_in_sample"] = [
            [band, *(round(v, 4) for v in _curve_point(texture, net, y, band))] for band in BANDS
        ]
        report[test] = row
        print(json.dumps({test: row}), file=sys.stderr, flush=True)
    print(json.dumps(report))


def _curve_point(texture: Floats, net: Floats, y: Bools, band: float) -> tuple[float, float]:
    predicted, share = cascade(texture, FUSIONS["net"](texture, net), band)
    return float((predicted == y).mean()), share


if __name__ == "__main__":
    main()
