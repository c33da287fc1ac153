"""Labelled plates on disk for `parkhub eval lpr`: openalpr-format photos, or crops.

openalpr benchmarks keep `NAME.jpg` beside `NAME.txt`, one line `NAME x y w h PLATE`
(tab-separated; some files use spaces). Crop sets either list `file,label` rows in a CSV
or carry the label in the file name (`皖A46E18.jpg`, `AB123CD_2.png`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hub.core.exceptions import HubError
from hub.plates import normalize_plate

IMAGE_SUFFIXES: Final = (".jpg", ".jpeg", ".png", ".bmp")
_FILE_COLUMNS: Final = ("file", "image", "image_path", "path", "filename")
_LABEL_COLUMNS: Final = ("label", "plate", "plate_text", "text")


class DatasetError(HubError):
    """The dataset folder is missing, empty or has a malformed label; says which file."""


@dataclass(frozen=True, slots=True)
class LabelledPlate:
    image: Path
    plate: str  # cleaned: A-Z0-9
    box: tuple[int, int, int, int] | None  # x, y, w, h; None for crops


def _folder(path: Path) -> Path:
    if not path.exists():
        raise DatasetError(f"{path}: no such dataset folder")
    if not path.is_dir():
        raise DatasetError(f"{path}: not a folder")
    return path


def find_photos(folder: Path) -> list[LabelledPlate]:
    """Every `NAME.txt` label with its image, sorted by name."""
    found: list[LabelledPlate] = []
    for label in sorted(_folder(folder).glob("*.txt")):
        image = next(
            (label.with_suffix(s) for s in IMAGE_SUFFIXES if label.with_suffix(s).is_file()), None
        )
        if image is None:
            continue  # a licence or readme beside the photos
        fields = label.read_text(encoding="utf-8", errors="replace").split()
        try:
            x, y, w, h = (int(value) for value in fields[1:5])
            plate = normalize_plate("".join(fields[5:]))
        except (ValueError, IndexError):
            raise DatasetError(
                f"{label}: expected `name x y w h PLATE`, got {' '.join(fields)!r}"
            ) from None
        if not plate:
            raise DatasetError(f"{label}: the plate text is empty")
        found.append(LabelledPlate(image, plate, (x, y, w, h)))
    if not found:
        raise DatasetError(f"{folder}: no NAME.jpg with NAME.txt labels found (openalpr format)")
    return found


def find_crops(folder: Path) -> list[LabelledPlate]:
    """Labelled plate crops: from the first CSV found under the folder, else file names."""
    csv_files = sorted(_folder(folder).rglob("*.csv"))
    found = _from_csv(folder, csv_files[0]) if csv_files else _from_names(folder)
    if not found:
        raise DatasetError(f"{folder}: no labelled plate crops found (CSV or labelled file names)")
    return found


def _from_csv(folder: Path, table: Path) -> list[LabelledPlate]:
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return []
    columns = {name.strip().lower(): name for name in rows[0]}
    file_key = next((columns[c] for c in _FILE_COLUMNS if c in columns), None)
    label_key = next((columns[c] for c in _LABEL_COLUMNS if c in columns), None)
    if file_key is None or label_key is None:
        raise DatasetError(
            f"{table}: expected a file column ({', '.join(_FILE_COLUMNS)}) and a label column "
            f"({', '.join(_LABEL_COLUMNS)}), got {', '.join(columns)}"
        )
    bases = [table.parent, *table.parent.parents]
    bases = [folder, *[base for base in bases if folder in (base, *base.parents)]]
    found: dict[Path, LabelledPlate] = {}
    for number, row in enumerate(rows, start=2):
        name, plate = (row.get(file_key) or "").strip(), normalize_plate(row.get(label_key) or "")
        image = next((base / name for base in bases if (base / name).is_file()), None)
        if image is None or not plate:
            raise DatasetError(f"{table}:{number}: no image {name!r} or an empty label")
        found.setdefault(image, LabelledPlate(image, plate, None))  # some sets repeat rows
    return list(found.values())


def _from_names(folder: Path) -> list[LabelledPlate]:
    found = []
    for image in sorted(folder.rglob("*")):
        if image.suffix.lower() in IMAGE_SUFFIXES:
            plate = normalize_plate(image.stem.split("_")[0].split("-")[0])
            if plate:
                found.append(LabelledPlate(image, plate, None))
    return found
