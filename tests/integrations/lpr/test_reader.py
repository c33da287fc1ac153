"""The plate reader on the demo lot's lane frames (against the demo's ground truth) and
on drawn plates: finding, reading, zones, crops, non-plates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from hub.integrations.demo import DemoLot
from hub.integrations.lpr.const import VOTE_CONFIDENT
from hub.integrations.lpr.engines import (
    EngineUnavailable,
    LineFinder,
    RapidOcrEngine,
    create_engine,
)
from hub.integrations.lpr.finder import find_candidates
from hub.integrations.lpr.formats import PlateFormats
from hub.integrations.lpr.reader import PlateRead, PlateReader, _strip_kept_as_it_stands

from .drawn_plates import draw_plate, draw_two_row_plate
from .lpr_setup import LANE_ZONE

START = datetime(2026, 3, 2, 22, 0, tzinfo=UTC).timestamp()  # night, with day_night on
DEMO_FORMATS = ["in", "uk", "any"]


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    return RapidOcrEngine()


@pytest.fixture(scope="module")
def reader(engine: RapidOcrEngine) -> PlateReader:
    return PlateReader(engine, PlateFormats.from_config(DEMO_FORMATS))


def _lot(**options: object) -> DemoLot:
    settings: dict[str, object] = {
        "seed": 2, "time_scale": 10, "arrivals_per_hour": 40, "mean_stay": 2700,
        "known_plates": (), "returning_share": 0.0, "gates": {}, "start": START,
        "clock": lambda: START, "gate_state": lambda _entity: None, "time_zone": UTC,
    }  # fmt: skip
    settings.update(options)
    return DemoLot(**settings)  # type: ignore[arg-type]


def _waiting(lot: DemoLot, lane: str, count: int) -> Iterator[float]:
    """Moments when a different car waits at the lane's barrier, plate in full view."""
    seen: set[str] = set()
    for second in range(0, 4 * 3600, 2):
        car = lot.lane_car(lane, START + second)
        if car is not None and car.phase == "waiting" and car.plate not in seen:
            seen.add(car.plate)
            yield START + second
            if len(seen) == count:
                return


def _empty(lot: DemoLot) -> float:
    """A moment the entry lane has no car in view."""
    return next(START + s for s in range(0, 3600, 3) if lot.lane_car("entry", START + s) is None)


@pytest.fixture
def detector_runs(engine: RapidOcrEngine, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of each picture the engine's text detector is run on, during one test."""
    runs: list[tuple[int, int]] = []
    find_lines = engine.find_lines

    def counted(image: np.ndarray) -> list[np.ndarray]:
        runs.append((image.shape[0], image.shape[1]))
        return find_lines(image)

    monkeypatch.setattr(engine, "find_lines", counted)
    return runs


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)


@pytest.mark.parametrize("lane", ["entry", "exit"])
def test_reads_the_demo_plates_in_lane_frames(reader: PlateReader, lane: str) -> None:
    lot = _lot()
    checked = 0
    for at in _waiting(lot, lane, 3):
        car = lot.lane_car(lane, at)
        assert car is not None
        assert car.plate_box is not None
        reads = reader.read(lot.render(lane, at))
        assert reads, f"nothing read for {car.plate}"
        best = reads[0]
        assert best.text == car.plate
        assert best.format == "uk"
        assert best.confidence > 0.8
        assert _iou(best.box, car.plate_box) > 0.4
        # The on-screen timestamp ("ENTRY 2026-...") and the lane sign are never plates.
        assert all(read.text not in ("ENTRY", "EXIT") for read in reads)
        checked += 1
    assert checked == 3


@pytest.mark.parametrize("lane", ["entry", "exit"])
def test_reads_a_plate_in_the_first_frames_its_car_is_in_view(
    reader: PlateReader, lane: str
) -> None:
    """A lane camera faces the oncoming cars: the first frame with a car's whole plate,
    small at the top of the picture, already reads right, and surely enough to report."""
    lot = _lot()
    moments = (START + step / 100 for step in range(0, 360_000))
    came = next(at for at in moments if lot.lane_car(lane, at) is not None)
    steps = (came + step / 100 for step in range(0, 50))
    whole = next(at for at in steps if (car := lot.lane_car(lane, at)) and car.plate_box)
    car = lot.lane_car(lane, whole)
    assert car is not None
    assert car.plate_box is not None
    reads = reader.read(lot.render(lane, whole), np.array(LANE_ZONE))
    assert [read.text for read in reads][:1] == [car.plate]
    assert reads[0].confidence >= VOTE_CONFIDENT
    assert _iou(reads[0].box, car.plate_box) > 0.4


def test_reads_an_indian_resident_plate_in_a_night_frame(reader: PlateReader) -> None:
    lot = _lot(
        known_plates=("KA01AB1234",), returning_share=1.0, day_night=True, seed=4, mean_stay=300
    )
    assert lot.darkness(START) == 1.0
    for at in _waiting(lot, "entry", 20):
        car = lot.lane_car("entry", at)
        if car is not None and car.plate == "KA01AB1234":
            reads = reader.read(lot.render("entry", at))
            assert [read.text for read in reads][:1] == ["KA01AB1234"]
            assert reads[0].format == "in"
            return
    pytest.fail("the resident never came in the first four hours")


def test_an_empty_lane_has_no_plates(reader: PlateReader) -> None:
    lot = _lot()
    assert reader.read(lot.render("entry", _empty(lot))) == []


def test_a_tilted_plate_is_read_level_without_its_country_strip(engine: RapidOcrEngine) -> None:
    """A plate hung askew (or a camera's roll): its row of characters is turned level
    before reading, so the EU strip at its left is cut off rather than read as a letter."""
    reader = PlateReader(engine, PlateFormats.from_config(["any"]))
    image, (x, y, w, h) = draw_plate("RK708AI")
    cv2.rectangle(image, (x + 2, y + 2), (x + 22, y + h - 2), (160, 60, 20), -1)
    cv2.putText(image, "D", (x + 6, y + h - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255,) * 3, 1)
    turn = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), 12, 1.0)  # rising to the right
    tilted = cv2.warpAffine(image, turn, image.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
    reads = reader.read(tilted)
    assert reads[0].text == "RK708AI"
    assert -14 < reads[0].angle < -10


def test_a_tilted_rows_strip_kept_as_it_stands_loses_to_its_level_read() -> None:
    box = (10, 20, 120, 40)
    level = PlateRead("LM010BE", 0.87, box, "LM-010BE", "any", -7.0)
    as_it_stands = PlateRead("ELM010BE", 0.95, box, "ELM-010BE", "any", 0.0)
    cut_short = PlateRead("JIY443", 0.9, (300, 20, 120, 40), "JIY443", "any", -3.0)
    whole = PlateRead("JIY4434", 0.93, (300, 20, 120, 40), "JIY4434", "any", 0.0)
    kept = _strip_kept_as_it_stands([as_it_stands, level, whole, cut_short])
    assert [read.text for read in kept] == ["LM010BE", "JIY4434", "JIY443"]


def test_a_small_plate_in_a_large_picture_is_searched_for_finer(
    engine: RapidOcrEngine, detector_runs: list[tuple[int, int]]
) -> None:
    """The finder searches a frame at most 640 px wide; when that finds no sure plate in
    a larger frame, it searches again 1280 px wide before the costly text detector."""
    reader = PlateReader(engine, PlateFormats.from_config(["any"]))
    image, (x, y, w, h) = draw_plate("AB12CDE")
    plate = cv2.resize(image[y - 20 : y + h + 20, x - 20 : x + w + 20], None, fx=0.4, fy=0.4)
    frame = np.full((1080, 1920, 3), 90, np.uint8)
    frame[500 : 500 + plate.shape[0], 900 : 900 + plate.shape[1]] = plate
    reads = reader.read(frame)
    assert [read.text for read in reads][:1] == ["AB12CDE"]
    assert detector_runs == []  # found without the text detector


def test_the_detector_enlarges_a_small_photo_but_not_a_lane_zone(
    engine: RapidOcrEngine, detector_runs: list[tuple[int, int]]
) -> None:
    """A small photo's plate is too small for the text detector at its own size; a lane
    camera's zone is searched as it is, so its reads cost no more."""
    reader = PlateReader(engine, PlateFormats.from_config(["any"]))
    photo = np.full((200, 300, 3), 90, np.uint8)  # nothing plate-like: the detector runs
    assert reader.read(photo) == []
    lot = _lot()
    assert reader.read(lot.render("entry", _empty(lot)), np.array(LANE_ZONE)) == []
    assert reader.read(np.full((720, 1280, 3), 90, np.uint8)) == []
    assert detector_runs == [(427, 640), (401, 441), (360, 640)]


def test_without_detect_an_empty_frame_costs_no_text_detection(
    engine: RapidOcrEngine, detector_runs: list[tuple[int, int]]
) -> None:
    """After a pass has voted the watcher reads with `detect=False`: the finder's cheap
    reads still find a plate, and a frame with none never runs the text detector."""
    lot = _lot()
    reader = PlateReader(engine, PlateFormats.from_config(DEMO_FORMATS))
    empty = _empty(lot)
    assert reader.read(lot.render("entry", empty), detect=False) == []
    assert detector_runs == []
    assert reader.read(lot.render("entry", empty)) == []
    assert len(detector_runs) == 1  # the fallback, when the finder reads no plate
    at = next(_waiting(lot, "entry", 1))
    car = lot.lane_car("entry", at)
    assert car is not None
    reads = reader.read(lot.render("entry", at), detect=False)
    assert [read.text for read in reads][:1] == [car.plate]


def test_zone_limits_the_search_and_boxes_stay_in_frame_pixels(reader: PlateReader) -> None:
    lot = _lot()
    at = next(_waiting(lot, "entry", 1))
    car = lot.lane_car("entry", at)
    assert car is not None
    assert car.plate_box is not None
    frame = lot.render("entry", at)
    x, y, w, h = car.plate_box
    around = np.array(
        [[x - 60, y - 40], [x + w + 60, y - 40], [x + w + 60, y + h + 40], [x - 60, y + h + 40]]
    )
    reads = reader.read(frame, zone=around)
    assert reads[0].text == car.plate
    assert _iou(reads[0].box, car.plate_box) > 0.4
    elsewhere = np.array([[0, 0], [300, 0], [300, 120], [0, 120]])
    assert reader.read(frame, zone=elsewhere) == []


def test_finder_puts_the_plate_among_its_first_candidates() -> None:
    image, plate = draw_plate("MH12DE1433")
    boxes = [candidate.box for candidate in find_candidates(image, 4)]
    assert any(_iou(box, plate) > 0.3 for box in boxes)


def test_reads_a_drawn_plate_and_fixes_look_alikes_by_format(engine: RapidOcrEngine) -> None:
    image, _ = draw_plate("MH12DE1433")
    reader = PlateReader(engine, PlateFormats.from_config(["in"]))
    assert [read.text for read in reader.read(image)][:1] == ["MH12DE1433"]


def test_falls_back_to_the_text_detector_when_the_finder_misses(engine: RapidOcrEngine) -> None:
    image, plate = draw_plate("KA05MX2211")
    blind = PlateReader(engine, PlateFormats.from_config(["in"]), candidates=0)
    reads = blind.read(image)
    assert reads[0].text == "KA05MX2211"
    assert _iou(reads[0].box, plate) > 0.3
    assert isinstance(engine, LineFinder)


def test_read_crop_reads_a_plate_crop(reader: PlateReader) -> None:
    image, (x, y, w, h) = draw_plate("AB12CDE")
    read = reader.read_crop(image[y - 4 : y + h + 4, x - 4 : x + w + 4])
    assert read is not None
    assert read.text == "AB12CDE"
    assert reader.read_crop(np.zeros((0, 0, 3), np.uint8)) is None


def test_a_frame_with_only_a_timestamp_reads_nothing(reader: PlateReader) -> None:
    image = np.full((200, 640, 3), 40, np.uint8)
    cv2.putText(
        image, "2026-11-22 13:45:00", (20, 110), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3
    )
    assert reader.read(image) == []


def test_easyocr_without_weights_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"easyocr weights missing in .*craft_mlt_25k\.pth"):
        create_engine("easyocr", str(tmp_path))
    with pytest.raises(EngineUnavailable, match="unknown OCR engine 'tesseract'"):
        create_engine("tesseract")


def test_easyocr_reads_a_drawn_plate_where_it_can_run() -> None:
    try:
        import easyocr  # type: ignore[import-not-found]  # noqa: F401
    except Exception as err:  # torch/torchvision mismatches raise anything
        pytest.skip(f"easyocr cannot be imported here ({type(err).__name__}): optional engine")
    try:
        engine = create_engine("easyocr")
    except EngineUnavailable as err:
        pytest.skip(f"easyocr weights are not installed here: {err}")
    image, _ = draw_plate("AB12CDE")
    reader = PlateReader(engine, PlateFormats.from_config(["uk"]))
    assert [read.text for read in reader.read(image)][:1] == ["AB12CDE"]


def test_a_vanity_plate_of_letters_alone_reads_only_with_the_catch_all(
    engine: RapidOcrEngine,
) -> None:
    image, plate = draw_plate("GWAGEN")
    reads = PlateReader(engine, PlateFormats.from_config(["uk", "any"])).read(image)
    assert [(read.text, read.format) for read in reads][:1] == [("GWAGEN", "word")]
    assert reads[0].confidence <= 0.5  # less sure than a plate that fits a format
    assert _iou(reads[0].box, plate) > 0.3
    assert PlateReader(engine, PlateFormats.from_config(["uk"])).read(image) == []


def test_a_number_plate_of_digits_alone_reads_only_with_the_catch_all(
    engine: RapidOcrEngine,
) -> None:
    image, plate = draw_plate("8031245")  # as Israel's plates are
    reads = PlateReader(engine, PlateFormats.from_config(["any"])).read(image)
    assert [(read.text, read.format) for read in reads][:1] == [("8031245", "number")]
    assert reads[0].confidence <= 0.5
    assert _iou(reads[0].box, plate) > 0.3
    assert PlateReader(engine, PlateFormats.from_config(["uk"])).read(image) == []


@pytest.mark.parametrize(("top", "bottom"), [("KA01AB", "1234"), ("MH12", "DE1433")])
def test_a_two_row_plate_reads_as_one(engine: RapidOcrEngine, top: str, bottom: str) -> None:
    """A square plate (a motorcycle's, India's): its rows, one above the other, are one
    plate, not the upper row alone."""
    image, plate = draw_two_row_plate(top, bottom)
    for formats in (["any"], ["in", "any"]):
        reads = PlateReader(engine, PlateFormats.from_config(formats)).read(image)
        assert [read.text for read in reads][:1] == [top + bottom]
        assert _iou(reads[0].box, plate) > 0.5


def test_a_word_on_a_sign_is_no_vanity_plate(engine: RapidOcrEngine) -> None:
    # Dark letters on a light band running across the frame: a sign, not a plate.
    image = np.full((360, 640, 3), 90, np.uint8)
    cv2.rectangle(image, (0, 140), (640, 200), (225, 215, 200), -1)
    cv2.putText(image, "PARKING", (230, 185), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
    assert PlateReader(engine, PlateFormats.from_config(["any"])).read(image) == []


def test_the_eu_country_strip_is_not_read_as_a_letter(engine: RapidOcrEngine) -> None:
    image, (x, y, _, h) = draw_plate("M5 XSX")
    # The blue strip with its country code at the plate's left, close to the characters.
    cv2.rectangle(image, (x + 2, y + 2), (x + 24, y + h - 2), (160, 60, 10), -1)
    cv2.putText(image, "D", (x + 6, y + h - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
    reads = PlateReader(engine, PlateFormats.from_config(["any"])).read(image)
    assert [read.text for read in reads][:1] == ["M5XSX"]
