"""The shipped plate recogniser against its card: the file, its input, and crops these tests
draw themselves with known answers (no dataset needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from hub.integrations.lpr.engines import ENGINE_PLATENET, EngineUnavailable, create_engine
from hub.integrations.lpr.formats import PlateFormats
from hub.integrations.lpr.platenet import (
    ALPHABET,
    CARD_FILE,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    MODEL_FILE,
    PlateNet,
    card,
    decode,
    decode_slots,
)
from hub.integrations.lpr.reader import PlateReader

from .drawn_plates import draw_plate, draw_two_row_plate

needs_model = pytest.mark.skipif(
    not MODEL_FILE.is_file(), reason="no plate recogniser shipped (models/platenet.onnx)"
)


@pytest.fixture(scope="module")
def net() -> PlateNet:
    return PlateNet()


@needs_model
def test_the_model_file_is_the_one_its_card_describes() -> None:
    described = card()
    data = MODEL_FILE.read_bytes()
    assert len(data) == described["file"]["bytes"]
    assert len(data) <= 3 * 1024 * 1024  # the budget for a shipped model
    assert hashlib.sha256(data).hexdigest() == described["file"]["sha256"]
    assert described["input"] == {"name": "image", "shape": ["n", 1, INPUT_HEIGHT, INPUT_WIDTH]}
    assert described["alphabet"] == ALPHABET
    # The card says how to rebuild it and what it was trained on, with licences.
    assert "scripts/lpr/train.py" in described["rebuild"]
    assert isinstance(described["seed"], int)
    assert all(item.get("licence") for item in described["training_data"])
    assert CARD_FILE.stat().st_size < 20_000


@needs_model
def test_the_session_takes_the_input_the_card_names(net: PlateNet) -> None:
    import onnxruntime as ort  # type: ignore[import-untyped]

    session = ort.InferenceSession(str(MODEL_FILE), providers=["CPUExecutionProvider"])
    (given,) = session.get_inputs()
    assert given.name == "image"
    assert given.shape[1:] == [1, INPUT_HEIGHT, INPUT_WIDTH]
    (out,) = session.get_outputs()
    assert out.shape[2] == len(ALPHABET) + 1  # and CTC's blank


def _crop(image: np.ndarray, box: tuple[int, int, int, int], margin: int = 4) -> np.ndarray:
    x, y, w, h = box
    return image[y - margin : y + h + margin, x - margin : x + w + margin]


@needs_model
@pytest.mark.parametrize("plate", ["AB12CDE", "KA05MX2211", "7XYZ123", "MH12DE1433"])
def test_reads_drawn_one_row_plates(net: PlateNet, plate: str) -> None:
    image, box = draw_plate(plate)
    ((text, score),) = net.read([_crop(image, box)])
    assert text == plate
    assert 0.0 < score <= 1.0


@needs_model
def test_reads_a_drawn_two_row_plate_top_row_first(net: PlateNet) -> None:
    image, box = draw_two_row_plate("KA01", "AB1234")
    ((text, _),) = net.read([_crop(image, box)])
    assert text == "KA01AB1234"


@needs_model
def test_reads_a_small_blurred_plate(net: PlateNet) -> None:
    image, box = draw_plate("GH47KLM")
    crop = _crop(image, box)
    small = cv2.resize(crop, (crop.shape[1] // 3, crop.shape[0] // 3), interpolation=cv2.INTER_AREA)
    ((text, _),) = net.read([cv2.GaussianBlur(small, (3, 3), 0)])
    assert text == "GH47KLM"


@needs_model
def test_a_blank_crop_reads_nothing_sure(net: PlateNet) -> None:
    ((text, score),) = net.read([np.full((40, 160, 3), 200, np.uint8)])
    assert text == "" or score < 0.5


def test_greedy_ctc_merges_repeats_and_drops_blanks() -> None:
    """Both heads' decoding, without a model file."""
    steps = np.full((1, 6, len(ALPHABET) + 1), np.log(1e-4), np.float32)
    for t, klass in enumerate([0, 11, 11, 0, 11, 2]):  # -, A, A, -, A, 1
        steps[0, t, klass] = np.log(0.9)
    [(text, score)] = decode(steps)
    assert text == "AA1"
    assert score == pytest.approx(0.9)
    places = np.full((1, 4, len(ALPHABET) + 1), np.log(1e-4), np.float32)
    for place, klass in enumerate([11, 2, 0, 0]):  # A, 1, none, none
        places[0, place, klass] = np.log(0.8)
    [(text, score)] = decode_slots(places)
    assert text == "A1"
    assert score == pytest.approx(0.8)


@needs_model
def test_the_reader_with_the_network_reads_a_whole_frame() -> None:
    engine = create_engine(ENGINE_PLATENET)
    reader = PlateReader(engine, PlateFormats.from_config(["uk", "any"]))
    image, _ = draw_plate("AB12CDE")
    reads = reader.read(image)
    assert reads
    assert reads[0].text == "AB12CDE"


def test_a_missing_model_is_a_clear_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="plate recogniser cannot load"):
        create_engine(ENGINE_PLATENET, str(tmp_path))
