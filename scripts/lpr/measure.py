"""Measure plate reading on every shared set, side by side, for docs/lpr.md.

    nice -n 10 python scripts/lpr/measure.py --runs reader:platenet:/tmp/A \\
        reader:rapidocr baseline:rapidocr --sets eu,br,ar,ccpd > figures.json

A run is `METHOD:ENGINE[:MODEL_DIR]` (`parkhub eval lpr`'s --method, --engine and
--model-dir), or `boxes:ENGINE[:MODEL_DIR]`: the photo sets' labelled plate boxes read
as crops (`PlateReader.read_crop`), the recogniser alone without the finder. Each set
is scored with `formats: any` and `--lists` (the allow list's distance 1). For
leave-one-set-out figures, pass the MODEL_DIR of a network trained without the set (its
`platenet.train.json` names the sets it left out; this script refuses a set that network
was trained on).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.integrations.lpr.evaluate import evaluate  # noqa: E402

DATASETS = ROOT.parent.parent / "shared" / "datasets" / "lpr"
SETS = {
    "eu": ("openalpr-eu", False),
    "br": ("openalpr-br", False),
    "ar": ("ar-crops", True),
    "ccpd": ("ccpd-crops", True),
}


def box_crops(folder: Path, engine_name: str, model_dir: str | None) -> dict[str, object]:
    """Lenient and exact accuracy of `read_crop` on each photo's labelled plate box."""
    import cv2

    from hub.integrations.lpr.dataset import find_photos
    from hub.integrations.lpr.engines import create_engine
    from hub.integrations.lpr.evaluate import _LENIENT
    from hub.integrations.lpr.formats import PlateFormats
    from hub.integrations.lpr.reader import PlateReader

    reader = PlateReader(create_engine(engine_name, model_dir), PlateFormats.from_config(["any"]))
    exact = lenient = 0
    items = find_photos(folder)
    for item in items:
        image = cv2.imread(str(item.image))
        assert item.box is not None
        x, y, w, h = item.box
        mx, my = round(0.05 * w), round(0.1 * h)
        crop = image[max(0, y - my) : y + h + my, max(0, x - mx) : x + w + mx]
        read = reader.read_crop(crop)
        text = read.text if read else ""
        exact += text == item.plate
        lenient += text.translate(_LENIENT) == item.plate.translate(_LENIENT)
    return {
        "images": len(items),
        "exact_accuracy": round(exact / len(items), 4),
        "lenient_accuracy": round(lenient / len(items), 4),
        "method": "boxes",
        "engine": engine_name,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", nargs="+", required=True)
    parser.add_argument("--sets", default="eu,br,ar,ccpd")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    results = []
    for run in args.runs:
        method, engine, *rest = run.split(":")
        model_dir = rest[0] if rest else None
        trained_on: list[str] = []
        if model_dir:
            info = Path(model_dir) / "platenet.train.json"
            if info.is_file():
                trained_on = json.loads(info.read_text())["trained_on"]
        for name in args.sets.split(","):
            if name in trained_on:
                print(f"skip {name} for {run}: the network was trained on it", file=sys.stderr)
                continue
            folder, crops = SETS[name]
            if method == "boxes":
                if crops:
                    continue
                result = box_crops(DATASETS / folder, engine, model_dir)
                result.update(set=name, run=run)
                print(json.dumps(result), file=sys.stderr)
                results.append(result)
                continue
            result = evaluate(
                DATASETS / folder,
                method=method,
                crops=crops,
                engine=engine,
                model_dir=model_dir,
                formats=["any"],
                limit=args.limit,
                lists=True,
            )
            result["set"] = name
            result["run"] = run
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
