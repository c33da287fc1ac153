"""What the classifier sees of a slot: a few numbers that describe texture, not looks.

A car is a cluster of strong, short, differently oriented edges (body, windows, wheels),
dark and bright spots and often colour; empty asphalt is smooth, grey and at most crossed by
a painted line. Every feature below is measured on the slot's own patch and, where light
matters, divided by the patch's own brightness, so day, dusk, shade and a different camera
move the numbers far less than a car does. All patches of a frame are done at once with
numpy array operations (no per-slot Python loop), which is what keeps 100 slots far
cheaper than decoding the frame.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["FEATURE_NAMES", "frame_texture", "grey", "slot_features"]

FEATURE_NAMES: tuple[str, ...] = (
    "log_std",
    "contrast",
    "log_grad",
    "rel_grad",
    "edges_lo",
    "edges_hi",
    "log_lap",
    "rel_lap",
    "dark",
    "bright",
    "chroma",
    "chroma_hi",
    "coherence",
    "centre_grad",
    "col_profile",
    "row_profile",
    *(f"lbp_{i}" for i in range(10)),
    "grad_vs_frame",
    "grad_vs_frame_hi",
    "std_vs_frame_hi",
)

_BGR_TO_GREY = np.array([0.114, 0.587, 0.299], np.float32)
_EPS = np.float32(1e-6)
# Offsets of the 8 neighbours, in circular order, for the local binary patterns.
_RING = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))


def grey(patches: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(N, H, W, 3) BGR patches -> (N, H, W) float grey."""
    return np.asarray(patches.astype(np.float32) @ _BGR_TO_GREY, np.float32)


def _mean(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.asarray(values.mean(axis=(1, 2)), np.float32)


def _lbp_lookup() -> npt.NDArray[np.uint8]:
    """Label of each 8-bit neighbour code: its count of ones if it has at most two 0/1
    transitions around the ring (a "uniform" pattern: spot, edge, corner), else 9."""
    table = np.empty(256, np.uint8)
    for code in range(256):
        bits = [(code >> i) & 1 for i in range(8)]
        transitions = sum(bits[i] != bits[i - 1] for i in range(8))
        table[code] = sum(bits) if transitions <= 2 else 9
    return table


_LBP_LABELS = _lbp_lookup()


def _lbp_histogram(
    g: npt.NDArray[np.float32], level: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Rotation-invariant uniform LBP (10 bins), with a tolerance so sensor noise on flat
    asphalt does not count as texture."""
    n, h, w = g.shape
    centre = g[:, 1:-1, 1:-1] + (0.04 * level + 2.0)[:, None, None]
    code = np.zeros(centre.shape, np.uint8)
    for bit, (dy, dx) in enumerate(_RING):
        code |= (g[:, 1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx] > centre).astype(np.uint8) << bit
    labels = _LBP_LABELS[code].astype(np.int64)
    labels += (np.arange(n) * 10)[:, None, None]
    counts = np.bincount(labels.ravel(), minlength=n * 10).reshape(n, 10)
    return np.asarray(counts / centre[0].size, np.float32)


def frame_texture(frame: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """How textured the whole view is (median and upper-quartile gradient of a ~320 px
    wide thumbnail made of every n-th pixel): a sharp, noisy camera and a soft one differ
    here, not in their cars, so slot texture measured against it carries over between
    cameras."""
    step = max(1, frame.shape[1] // 320)
    thumb = cv2.cvtColor(np.ascontiguousarray(frame[::step, ::step]), cv2.COLOR_BGR2GRAY)
    gx = cv2.Sobel(thumb, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(thumb, cv2.CV_32F, 0, 1)
    magnitude = cv2.magnitude(gx, gy).ravel()
    half, quarter = magnitude.size // 2, magnitude.size * 3 // 4
    ranked = np.partition(magnitude, (half, quarter))
    return float(ranked[half]), float(ranked[quarter])


def slot_features(
    patches: npt.NDArray[np.uint8], texture: tuple[float, float]
) -> npt.NDArray[np.float32]:
    """(N, H, W, 3) uint8 BGR patches of one frame, and that frame's `frame_texture`
    -> (N, len(FEATURE_NAMES)) features."""
    n = patches.shape[0]
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32)
    g = grey(patches)
    mean = _mean(g)
    level = mean + 8.0  # brightness, floored so a black night patch does not explode ratios
    std = np.sqrt(np.maximum(_mean(g * g) - mean * mean, 0.0))

    gx = g[:, 1:-1, 2:] - g[:, 1:-1, :-2]
    gy = g[:, 2:, 1:-1] - g[:, :-2, 1:-1]
    mag = np.sqrt(gx * gx + gy * gy)
    grad = _mean(mag)
    rel = mag / level[:, None, None]
    lap = 4 * g[:, 1:-1, 1:-1] - g[:, :-2, 1:-1] - g[:, 2:, 1:-1] - g[:, 1:-1, :-2] - g[:, 1:-1, 2:]
    lap_var = _mean(lap * lap)

    # Structure-tensor coherence: painted lines are one orientation, cars are many.
    jxx, jyy, jxy = _mean(gx * gx), _mean(gy * gy), _mean(gx * gy)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + _EPS)

    h, w = mag.shape[1:]
    centre = mag[:, h // 4 : h - h // 4, w // 6 : w - w // 6].mean(axis=(1, 2))

    lit = g / level[:, None, None]
    b, gr, r = patches[..., 0], patches[..., 1], patches[..., 2]
    spread = np.maximum(np.maximum(b, gr), r) - np.minimum(np.minimum(b, gr), r)
    chroma = spread.astype(np.float32) / level[:, None, None]

    columns = lit.mean(axis=1)  # profile along the slot's long side
    rows = lit.mean(axis=2)

    columns_out = [
        np.log1p(std),
        std / level,
        np.log1p(grad),
        grad / level,
        _mean((rel > 0.15).astype(np.float32)),
        _mean((rel > 0.4).astype(np.float32)),
        np.log1p(lap_var),
        np.sqrt(lap_var) / level,
        _mean((lit < 0.55).astype(np.float32)),
        _mean((lit > 1.45).astype(np.float32)),
        _mean(chroma),
        _mean((chroma > 0.3).astype(np.float32)),
        coherence,
        centre / (grad + 1.0),
        columns.std(axis=1),
        rows.std(axis=1),
    ]
    median, upper = np.log1p(texture[0]), np.log1p(texture[1])
    columns_out += [columns_out[2] - median, columns_out[2] - upper, columns_out[0] - upper]
    features = np.empty((n, len(FEATURE_NAMES)), np.float32)
    features[:, : len(columns_out) - 3] = np.stack(columns_out[:-3], axis=1)
    features[:, len(columns_out) - 3 : -3] = _lbp_histogram(g, level)
    features[:, -3:] = np.stack(columns_out[-3:], axis=1)
    return features
