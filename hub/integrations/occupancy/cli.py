"""The occupancy side of the `parkhub` command: eval, calibrate, slots suggest.

Each function takes parsed arguments, prints its result and returns an exit code; errors
are one line naming what is wrong, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .slots import Slot

# Names only: the modules that need OpenCV and numpy are imported when a command runs,
# so `parkhub --help` stays instant.
METHODS = ("texture", "baseline")

__all__ = ["add_arguments", "run"]


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluation = commands.add_parser("eval", help="measure a detector on labelled data")
    kinds = evaluation.add_subparsers(dest="eval_command", required=True)
    occupancy = kinds.add_parser("occupancy", help="slot occupancy on PKLot-format data")
    occupancy.add_argument("--dataset", type=Path, required=True, help="images + PKLot XML")
    occupancy.add_argument("--method", choices=METHODS, default=METHODS[0])
    occupancy.add_argument(
        "--calibrate-on", type=Path, help="labelled frames of the same view to calibrate on first"
    )

    calibrate = commands.add_parser("calibrate", help="fit a lot's own occupancy model")
    calibrate.add_argument("--lot", required=True, help="the lot's name in config.yaml")
    calibrate.add_argument("--config", type=Path, default=Path("config.yaml"))
    calibrate.add_argument("--data", type=Path, help="data directory")
    source = calibrate.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", type=Path, help="PKLot-format frames of this lot")
    source.add_argument("--image", type=Path, help="a frame of the lot's camera")
    calibrate.add_argument(
        "--occupied", default="", help="with --image: comma-separated slot ids holding a car"
    )
    calibrate.add_argument("--skip", default="", help="with --image: slot ids to leave out")

    slots = commands.add_parser("slots", help="slot polygons")
    slot_commands = slots.add_subparsers(dest="slots_command", required=True)
    suggest = slot_commands.add_parser("suggest", help="propose slots and write a slots file")
    view = suggest.add_mutually_exclusive_group(required=True)
    view.add_argument("--camera", help="camera entity id, read from a running hub")
    view.add_argument("--image", type=Path, action="append", help="a frame (repeatable)")
    suggest.add_argument("--out", type=Path, required=True, help="slots file to write")
    suggest.add_argument("--url", default="http://127.0.0.1:8123", help="the running hub")
    suggest.add_argument("--token", help="API token (parkhub token create)")
    suggest.add_argument("--frames", type=int, default=5, help="snapshots to take from --camera")
    suggest.add_argument("--interval", type=float, default=2.0, help="seconds between them")


def _fail(command: str, message: object) -> int:
    print(f"parkhub {command}: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    if args.command == "eval":
        return _eval(args)
    if args.command == "slots":
        return _suggest(args)
    return _calibrate(args)


def _eval(args: argparse.Namespace) -> int:
    from .dataset import DatasetError
    from .evaluate import evaluate
    from .model import ModelError

    try:
        result = evaluate(args.dataset, args.method, args.calibrate_on)
    except (DatasetError, ModelError) as err:
        return _fail("eval occupancy", err)
    print(json.dumps(result))
    return 0


def _lot_slots(args: argparse.Namespace) -> tuple[list[Slot], Path]:
    """The lot's slots as config.yaml declares them, and the data directory."""
    from hub.bootstrap import load

    from .calibration import CalibrationError
    from .config import CONFIG_SCHEMA, lot_configs
    from .slots import read_slots_file

    loaded = load(args.config)
    section = loaded.sections.get("occupancy") or {}
    lots = {lot.name: lot for lot in lot_configs(CONFIG_SCHEMA(section), args.config.parent)}
    if args.lot not in lots:
        raise CalibrationError(f"no lot {args.lot!r} in {args.config} (lots: {sorted(lots)})")
    lot = lots[args.lot]
    slots = read_slots_file(lot.slots_file) if lot.slots_file else lot.slots
    return slots, loaded.data_dir(args.data)


def _calibrate(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from hub.config import ConfigError

    from .calibration import MIN_PER_CLASS, CalibrationError, add_samples_and_fit, model_path
    from .classifier import SlotClassifier
    from .dataset import DatasetError, find_frames
    from .model import ModelError
    from .samples import LabelledSamples, read_samples
    from .slots import SlotsFileError

    try:
        if args.dataset is not None:
            samples = read_samples(find_frames(args.dataset))
            slots, data_dir = _lot_slots(args)
            if not len(samples):
                raise DatasetError(f"{args.dataset}: no images with PKLot XML labels found")
        else:
            slots, data_dir = _lot_slots(args)
            image = cv2.imread(str(args.image))
            if image is None:
                raise DatasetError(f"{args.image}: not a readable image")
            ids = [slot.id for slot in slots]
            marked = {i for i in args.occupied.split(",") if i}
            skipped = {i for i in args.skip.split(",") if i}
            unknown = sorted((marked | skipped) - set(ids))
            if unknown:
                raise CalibrationError(
                    f"--occupied/--skip: no such slot(s) in lot {args.lot!r}: {unknown}"
                )
            samples = LabelledSamples.of_image(
                SlotClassifier([s.polygon for s in slots]),
                np.asarray(image, np.uint8),
                [i in marked for i in ids],
                np.array([i not in skipped for i in ids], bool),
            )
        model, count = add_samples_and_fit(data_dir, args.lot, samples)
    except (ConfigError, DatasetError, CalibrationError, SlotsFileError, ModelError) as err:
        return _fail("calibrate", err)
    if model is None:
        print(
            json.dumps({"lot": args.lot, "labelled_slots": count, "calibrated": False}),
        )
        print(
            f"parkhub calibrate: labels kept; the lot is calibrated once at least "
            f"{MIN_PER_CLASS} occupied and {MIN_PER_CLASS} empty slots are labelled",
            file=sys.stderr,
        )
        return 0
    predicted = model.sample_logits(samples) >= 0.0
    print(
        json.dumps(
            {
                "lot": args.lot,
                "labelled_slots": count,
                "calibrated": True,
                "accuracy_on_labels": round(float((predicted == samples.occupied).mean()), 4),
                "model": str(model_path(data_dir, args.lot)),
            }
        )
    )
    return 0


def _snapshots(args: argparse.Namespace) -> list[Any]:
    """Frames of a camera from a running hub's snapshot route."""
    import cv2
    import numpy as np

    from .dataset import DatasetError

    url = f"{args.url.rstrip('/')}/api/camera/{args.camera}/snapshot.jpg"
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    frames = []
    for index in range(max(1, args.frames)):
        if index:
            time.sleep(args.interval)
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=10
            ) as reply:
                body = reply.read()
        except (urllib.error.URLError, OSError) as err:
            raise DatasetError(f"{url}: {err}") from None
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise DatasetError(f"{url}: the reply is not an image")
        frames.append(image)
    return frames


def _suggest(args: argparse.Namespace) -> int:
    import cv2

    from .dataset import DatasetError
    from .slots import write_slots_file
    from .suggest import suggest_slots

    try:
        if args.camera:
            frames = _snapshots(args)
        else:
            frames = []
            for path in args.image:
                image = cv2.imread(str(path))
                if image is None:
                    raise DatasetError(f"{path}: not a readable image")
                frames.append(image)
        slots = suggest_slots(frames)
        height, width = frames[0].shape[:2]
        write_slots_file(args.out, slots, (width, height))
    except (DatasetError, OSError) as err:
        return _fail("slots suggest", err)
    print(json.dumps({"slots": len(slots), "file": str(args.out)}))
    return 0
