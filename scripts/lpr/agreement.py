"""Would the network help as a second opinion? Both recognisers on the true plate boxes.

    python scripts/lpr/agreement.py --model-dir /tmp/A2 --sets eu,br

For each photo set, `PlateReader.read_crop` with RapidOCR and with the network on the
labelled plate box (5% / 10% margins, as `measure.py --runs boxes:...`), scored leniently:
how often both, one or neither is right, and how often they agree (and are right then).
"net_only" bounds what a second opinion could add; "agree_right" / "agree" says whether
agreement could stand for confidence. Score only sets the network was not trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.integrations.lpr.dataset import find_photos  # noqa: E402
from hub.integrations.lpr.engines import create_engine  # noqa: E402
from hub.integrations.lpr.evaluate import _LENIENT  # noqa: E402
from hub.integrations.lpr.formats import PlateFormats  # noqa: E402
from hub.integrations.lpr.reader import PlateReader  # noqa: E402

DATASETS = ROOT.parent.parent / "shared" / "datasets" / "lpr"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, help="a folder with platenet.onnx")
    parser.add_argument("--sets", default="eu,br", help="photo sets: eu, br")
    args = parser.parse_args()
    formats = PlateFormats.from_config(["any"])
    rapid = PlateReader(create_engine("rapidocr"), formats)
    net = PlateReader(create_engine("platenet", args.model_dir), formats)
    for name in args.sets.split(","):
        counts = dict.fromkeys(("both", "rapid_only", "net_only", "neither", "agree"), 0)
        counts["agree_right"] = 0
        for item in find_photos(DATASETS / f"openalpr-{name}"):
            image = cv2.imread(str(item.image))
            assert item.box is not None
            x, y, w, h = item.box
            mx, my = round(0.05 * w), round(0.1 * h)
            crop = image[max(0, y - my) : y + h + my, max(0, x - mx) : x + w + mx]
            truth = item.plate.translate(_LENIENT)
            a, b = (
                (read.text if read else "").translate(_LENIENT)
                for read in (rapid.read_crop(crop), net.read_crop(crop))
            )
            if a == truth and b == truth:
                counts["both"] += 1
            elif a == truth:
                counts["rapid_only"] += 1
            elif b == truth:
                counts["net_only"] += 1
            else:
                counts["neither"] += 1
            counts["agree"] += a == b
            counts["agree_right"] += a == b == truth
        print(json.dumps({"set": name, **counts}))


if __name__ == "__main__":
    main()
