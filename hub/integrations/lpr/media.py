"""Snapshots and plate crops of each reported pass, and their retention.

Files live under `<data_dir>/lpr/YYYY-MM-DD/`, named by time, camera and plate, so the
folder reads like a log. Everything here blocks: the integration runs it in the executor.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from hub.core.files import write_atomically

from .const import CROP_MARGIN, JPEG_QUALITY

__all__ = ["prune", "resolve", "save_pass"]

_LOGGER = logging.getLogger(__name__)


def _jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(encoded)


def crop_box(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The plate with a margin around it, clipped to the frame."""
    x, y, w, h = box
    pad_x, pad_y = int(w * CROP_MARGIN), int(h * CROP_MARGIN)
    height, width = image.shape[:2]
    x0, y0 = max(0, x - pad_x), max(0, y - pad_y)
    x1, y1 = min(width, x + w + pad_x), min(height, y + h + pad_y)
    return image[y0:y1, x0:x1]


def save_pass(
    root: Path,
    image: np.ndarray,
    box: tuple[int, int, int, int],
    camera: str,
    plate: str,
    at: float,
) -> tuple[Path, Path | None]:
    """Write the frame and the plate crop; returns both paths (crop None if the box is empty)."""
    moment = datetime.fromtimestamp(at, UTC)
    folder = root / moment.strftime("%Y-%m-%d")
    stem = f"{moment.strftime('%H%M%S_%f')[:10]}_{camera.replace('.', '_')}_{plate}"
    snapshot = folder / f"{stem}.jpg"
    write_atomically(snapshot, _jpeg(image))
    crop = crop_box(image, box)
    if crop.size == 0:
        return snapshot, None
    crop_path = folder / f"{stem}_plate.jpg"
    write_atomically(crop_path, _jpeg(crop))
    return snapshot, crop_path


def prune(root: Path, keep_days: int, max_files: int, now: float | None = None) -> int:
    """Delete files older than `keep_days` and the oldest beyond `max_files` (0: no limit);
    empty day folders go too. Returns how many files were removed."""
    if not root.is_dir():
        return 0
    files = sorted((path.stat().st_mtime, path) for path in root.glob("*/*.jpg") if path.is_file())
    now = time.time() if now is None else now
    doomed: list[Path] = []
    if keep_days > 0:
        cutoff = now - keep_days * 86400
        doomed.extend(path for mtime, path in files if mtime < cutoff)
    if max_files > 0 and len(files) - len(doomed) > max_files:
        kept = [path for _, path in files if path not in set(doomed)]
        doomed.extend(kept[: len(kept) - max_files])
    for path in doomed:
        path.unlink(missing_ok=True)
    for folder in root.iterdir():
        if folder.is_dir() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
    if doomed:
        _LOGGER.debug("Pruned %d plate pictures from %s", len(doomed), root)
    return len(doomed)


def resolve(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None if it is outside it or missing."""
    try:
        base = root.resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base) or path == base or not path.is_file():
            return None
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return None
    return path
