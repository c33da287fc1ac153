"""`parkhub eval lpr` on tiny datasets the tests draw: openalpr photos, crops, baseline."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import pytest

from hub.__main__ import main
from hub.integrations.lpr.dataset import DatasetError, find_crops, find_photos
from hub.integrations.lpr.evaluate import evaluate

from .drawn_plates import draw_plate

PLATES = ["MH12DE1433", "AB12CDE", "KA05MX2211"]
FORMATS = ["in", "uk", "any"]  # `any` alone takes up to 8 characters


def _photos(folder: Path, plates: list[str] = PLATES, size: tuple[int, int] = (640, 360)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, plate in enumerate(plates):
        image, (x, y, w, h) = draw_plate(plate, size)
        cv2.imwrite(str(folder / f"car{index}.jpg"), image)
        # Some openalpr label files separate fields with spaces instead of tabs.
        sep = " " if index % 2 else "\t"
        (folder / f"car{index}.txt").write_text(
            sep.join(map(str, [f"car{index}.jpg", x, y, w, h, plate])) + "\n"
        )
    (folder / "README.txt").write_text("not a label: no image beside it\n")
    return folder


def test_reader_on_drawn_photos_scores_every_plate(tmp_path: Path) -> None:
    result = evaluate(_photos(tmp_path / "photos"), formats=FORMATS)
    assert result["images"] == 3
    assert result["exact_accuracy"] == 1.0
    assert result["lenient_accuracy"] == 1.0
    assert result["detection_recall"] == 1.0
    assert result["engine"] == "rapidocr"
    assert result["method"] == "reader"
    assert 0 < result["ms_per_image_median"] < 2000


def test_wrong_labels_lower_exact_but_lenient_forgives_o_and_0(tmp_path: Path) -> None:
    folder = _photos(tmp_path / "photos", ["AB12CDE", "XY34ZZZ"])
    # The label says O where the plate (and the read) has 0; and one label is plainly wrong.
    (folder / "car0.txt").write_text("car0.jpg\t220\t180\t200\t46\tAB12CDE\n")
    text = (folder / "car1.txt").read_text().replace("XY34ZZZ", "XY3AZZZ")
    (folder / "car1.txt").write_text(text)
    _photos(tmp_path / "lenient", ["M0123AB"])
    lenient = tmp_path / "lenient" / "car0.txt"
    lenient.write_text(lenient.read_text().replace("M0123AB", "MOI23AB"))
    scored = evaluate(folder)
    assert scored["exact_accuracy"] == 0.5
    zero_vs_o = evaluate(tmp_path / "lenient")
    assert zero_vs_o["exact_accuracy"] == 0.0
    assert zero_vs_o["lenient_accuracy"] == 1.0


def test_baseline_method_runs_side_by_side(tmp_path: Path) -> None:
    folder = _photos(tmp_path / "small", ["AB12CDE"], size=(320, 180))
    result = evaluate(folder, method="baseline")
    assert result["method"] == "baseline"
    assert result["images"] == 1
    assert result["exact_accuracy"] == 1.0


def test_crops_from_a_csv_and_from_file_names(tmp_path: Path) -> None:
    table_dir = tmp_path / "csvset" / "assets"
    (table_dir / "imgs").mkdir(parents=True)
    names = []
    for index, plate in enumerate(["AB12CDE", "MH12DE1433"]):
        image, (x, y, w, h) = draw_plate(plate)
        name = f"assets/imgs/crop{index}.png"
        cv2.imwrite(str(tmp_path / "csvset" / name), image[y - 3 : y + h + 3, x - 3 : x + w + 3])
        names.append((name, plate))
    with (table_dir / "annotations.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image_path", "plate_text"])
        writer.writerows(names + names[:1])  # a repeated row counts once
    assert len(find_crops(tmp_path / "csvset")) == 2
    result = evaluate(tmp_path / "csvset", crops=True, formats=FORMATS)
    assert result["images"] == 2
    assert result["exact_accuracy"] == 1.0
    assert result["detection_recall"] is None

    named = tmp_path / "named"
    named.mkdir()
    image, (x, y, w, h) = draw_plate("KA05MX2211")
    crop = image[y - 3 : y + h + 3, x - 3 : x + w + 3]
    _ok, encoded = cv2.imencode(".jpg", crop)
    (named / "皖KA05MX2211.jpg").write_bytes(encoded.tobytes())  # CCPD-style names
    assert [item.plate for item in find_crops(named)] == ["KA05MX2211"]
    assert evaluate(named, crops=True, formats=FORMATS)["exact_accuracy"] == 1.0


def test_bad_datasets_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such dataset folder"):
        find_photos(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"no NAME\.jpg with NAME\.txt"):
        find_photos(tmp_path / "empty")
    bad = _photos(tmp_path / "bad", ["AB12CDE"])
    (bad / "car0.txt").write_text("car0.jpg 1 2 three 4 AB12CDE\n")
    with pytest.raises(DatasetError, match=r"car0.txt: expected `name x y w h PLATE`"):
        find_photos(bad)
    table = tmp_path / "table"
    table.mkdir()
    (table / "labels.csv").write_text("picture,number\nx.png,AB12CDE\n")
    with pytest.raises(DatasetError, match="expected a file column"):
        find_crops(table)


def test_cli_prints_one_json_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _photos(tmp_path / "photos", ["AB12CDE"])
    assert main(["eval", "lpr", "--dataset", str(folder)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["images"] == 1
    assert printed["exact_accuracy"] == 1.0
    assert set(printed) >= {
        "images", "exact_accuracy", "lenient_accuracy", "detection_recall",
        "ms_per_image_median", "engine", "method",
    }  # fmt: skip


def test_cli_bad_path_exits_non_zero_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "lpr", "--dataset", str(tmp_path / "nope")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "parkhub eval lpr:" in captured.err
    assert "no such dataset folder" in captured.err
    folder = _photos(tmp_path / "photos", ["AB12CDE"])
    easyocr = ["--engine", "easyocr", "--model-dir", str(tmp_path / "no-weights")]
    assert main(["eval", "lpr", "--dataset", str(folder), *easyocr]) == 1
    assert "easyocr weights missing" in capsys.readouterr().err


def test_a_cut_short_jpeg_is_counted_named_and_skipped(tmp_path: Path) -> None:
    folder = _photos(tmp_path / "photos", ["KA05MX2211", "AB12CDE"])
    # A download cut short: the first 60% of the file, no end marker.
    data = (folder / "car0.jpg").read_bytes()
    (folder / "car0.jpg").write_bytes(data[: int(len(data) * 0.6)])
    result = evaluate(folder, formats=FORMATS, engine="rapidocr")
    assert result["unreadable"] == 1
    assert result["unreadable_files"] == ["car0.jpg"]
    assert result["images"] == 1  # scored over the photos that could be read
    assert result["exact_accuracy"] == 1.0


def test_nothing_readable_is_a_clear_error(tmp_path: Path) -> None:
    folder = _photos(tmp_path / "photos", ["AB12CDE"])
    (folder / "car0.jpg").write_bytes(b"not a picture")
    with pytest.raises(DatasetError, match="none of the 1 labelled images is readable"):
        evaluate(folder, engine="rapidocr")


def test_lists_figures_follow_the_allow_lists_fuzzy_match() -> None:
    from hub.integrations.lpr.lists_eval import list_figures, other_plates

    others = other_plates(["AB12CDE", "KA05MX2211"], count=50)
    assert len(set(others)) == 50
    assert not {"AB12CDE", "KA05MX2211"} & set(others)
    assert all(len(p) in (7, 10) for p in others)
    assert other_plates(["AB12CDE"], count=5) == other_plates(["AB12CDE"], count=5)
    reads = [
        ("AB12CDE", "AB12CDE"),  # right
        ("KA05MX2211", "KA05MX2217"),  # one character off: still its own entry at 1
        ("XY34ZZZ", ""),  # nothing read: no match, no open
        ("MH12DE1433", "AB12CDE"),  # read as another listed car: a false open
    ]
    exact = list_figures(reads, max_distance=0)
    assert exact["resident_recall"] == 0.25
    assert exact["false_open_rate"] == 0.25
    assert exact["list_size"] == 4 + 1000
    fuzzy = list_figures(reads, max_distance=1)
    assert fuzzy["resident_recall"] == 0.5
    assert fuzzy["false_open_rate"] == 0.25
    # With its own entry off the list, the exact read of AB12CDE opens nothing, but
    # MH12DE1433's misread still matches AB12CDE's entry.
    assert exact["stranger_open_rate"] == 0.25


def test_cli_lists_prints_the_barrier_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _photos(tmp_path / "photos", ["AB12CDE"])
    assert main(["eval", "lpr", "--dataset", str(folder), "--lists", "--engine", "rapidocr"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["lists"]["resident_recall"] == 1.0
    assert printed["lists"]["false_open_rate"] == 0.0
    assert printed["lists"]["max_distance"] == 1
