"""The project's own plate recogniser: a small CRNN read with CTC, run by onnxruntime.

RapidOCR's recogniser is made for lines of print; plates print state names above their
characters, slogans below, stickers in the corners, and two rows on square plates. This
network was trained for plate crops only (one or two rows), on synthetic plates in many
national styles and the real crops there are (`scripts/lpr/train.py`; its card,
`models/platenet.json`, says on what, how to rebuild it, and what it measured).

Input: the crop in grey, stretched to 32x128. Two heads are supported, told apart by the
model's output name: `log_probs` (CTC: the features end two rows high and 32 steps wide,
the top row's steps read before the bottom row's, so a two-row plate reads top line
first; greedy decoding) and `slot_log_probs` (one class per character place, left to
right and top row first, class 0 for no character). A read's score is its least sure
character's probability.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np

MODEL_DIR: Final = Path(__file__).parent / "models"
MODEL_FILE: Final = MODEL_DIR / "platenet.onnx"
CARD_FILE: Final = MODEL_DIR / "platenet.json"
INPUT_HEIGHT: Final = 32
INPUT_WIDTH: Final = 128
ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # class 0 is CTC's blank


@cache
def card() -> dict[str, Any]:
    """The model card shipped beside the network (size, input, training, figures)."""
    loaded: dict[str, Any] = json.loads(CARD_FILE.read_text(encoding="utf-8"))
    return loaded


def prepare(crops: list[np.ndarray]) -> np.ndarray:
    """BGR or grey crops as the network's input batch: N x 1 x 32 x 128 float32 (0-255)."""
    batch = np.zeros((len(crops), 1, INPUT_HEIGHT, INPUT_WIDTH), np.float32)
    for index, crop in enumerate(crops):
        grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        shrink = grey.shape[0] > INPUT_HEIGHT
        batch[index, 0] = cv2.resize(
            grey,
            (INPUT_WIDTH, INPUT_HEIGHT),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
        )
    return batch


def decode(log_probs: np.ndarray) -> list[tuple[str, float]]:
    """Greedy CTC over N x T x 37 log-probabilities: the best class per step, repeats
    merged, blanks dropped; the score is the least sure kept character's probability."""
    reads: list[tuple[str, float]] = []
    for steps in log_probs:
        best = steps.argmax(axis=1)
        sure = np.exp(steps.max(axis=1))
        chars: list[str] = []
        scores: list[float] = []
        last = 0
        for klass, prob in zip(best.tolist(), sure.tolist(), strict=True):
            if klass not in (0, last):
                chars.append(ALPHABET[klass - 1])
                scores.append(prob)
            last = klass
        reads.append(("".join(chars), min(scores) if scores else 0.0))
    return reads


def decode_slots(log_probs: np.ndarray) -> list[tuple[str, float]]:
    """N x places x 37 log-probabilities: each place's best class, no-character dropped;
    the score is the least sure place's probability."""
    reads: list[tuple[str, float]] = []
    for places in log_probs:
        best = places.argmax(axis=1).tolist()
        sure = float(np.exp(places.max(axis=1)).min())
        reads.append(("".join(ALPHABET[klass - 1] for klass in best if klass), sure))
    return reads


class PlateNet:
    """The network in an onnxruntime session with one thread; callers take turns."""

    def __init__(self, model: Path = MODEL_FILE, threads: int = 1) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # The arena keeps the largest batch's buffers for good; reads are small.
        options.enable_cpu_mem_arena = False
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self._slots = self._session.get_outputs()[0].name == "slot_log_probs"
        self._lock = threading.Lock()

    def read(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Each crop's text (A-Z0-9) and score. Blocks: a crop costs about 1 ms."""
        if not crops:
            return []
        batch = prepare(crops)
        with self._lock:
            (log_probs,) = self._session.run(None, {self._input: batch})
        return (decode_slots if self._slots else decode)(np.asarray(log_probs))
