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

__all__ = [
    "FEATURES_VERSION",
    "FEATURE_NAMES",
    "frame_texture",
    "gradient_maps",
    "slot_features",
    "slot_measures",
    "to_grey",
]

# Bumped whenever a feature is measured differently (same names, other numbers): models
# and calibration samples record it, so one made for other numbers is never used.
# 2: patches filtered side by side (seams at columns), LBP on every other row, a
# 160x90 view thumbnail, patches point-sampled (sampler.py).
FEATURES_VERSION = 2

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
    "coherence",
    "centre_grad",
    "col_profile",
    "row_profile",
    *(f"lbp_{i}" for i in range(10)),
    "grad_vs_frame",
    "grad_vs_frame_hi",
    "std_vs_frame_hi",
)

_EPS = np.float32(1e-6)
_TEXTURE_BINS = 768  # 3x3 Sobel magnitudes of 8-bit images stay under 1,536
# Offsets of the 8 neighbours, in circular order, for the local binary patterns.
_RING = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))


def _sums(wide: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.float32]:
    """Per-patch sums of a (H, N*W) side-by-side image: rows are summed first with one
    matrix-vector product (BLAS), which is several times faster than numpy reducing over
    two axes of an (N, H, W) array."""
    columns = np.ones(wide.shape[0], np.float32) @ wide
    return np.asarray(columns.reshape(count, -1).sum(axis=1), np.float32)


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
    wide: npt.NDArray[np.uint8], count: int, level: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Rotation-invariant uniform LBP (10 bins), with a tolerance so sensor noise on flat
    asphalt does not count as texture.

    Computed with OpenCV on the patches laid side by side (8-bit, saturating: a centre
    plus its tolerance above 255 has no brighter neighbour either way), at every other row
    (the histogram of half the pixels is as telling, at half the cost); the columns where
    two patches meet are dropped before counting.
    """
    h, total = wide.shape
    w = total // count
    tolerance = np.minimum(0.04 * level + 2.0, 255).astype(np.uint8)
    centre = wide[1 : h - 1 : 2, 1:-1]
    row = np.repeat(tolerance, w)[1:-1]
    raised = cv2.add(centre, np.ascontiguousarray(np.broadcast_to(row, centre.shape)))
    code = np.zeros((centre.shape[0], total), np.uint8)
    inner = code[:, 1:-1]
    for bit, (dy, dx) in enumerate(_RING):
        neighbour = wide[1 + dy : h - 1 + dy : 2, 1 + dx : total - 1 + dx]
        brighter = np.asarray(cv2.compare(neighbour, raised, cv2.CMP_GT), np.uint8)
        inner |= brighter & np.uint8(1 << bit)
    codes = np.ascontiguousarray(code.reshape(len(code), count, w)[:, :, 1:-1])
    labels = cv2.LUT(codes, _LBP_LABELS).astype(np.uint16)
    labels += (np.arange(count, dtype=np.uint16) * 10)[None, :, None]
    counts = np.bincount(labels.ravel(), minlength=count * 10).reshape(count, 10)
    return np.asarray(counts / (len(code) * (w - 2)), np.float32)


def to_grey(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A BGR frame in grey (a grey one as it is): converted once, used by both the
    sampler and `frame_texture`."""
    if frame.ndim == 2:
        return frame
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)


def frame_texture(frame: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """How textured the whole view is: median and upper-quartile gradient of a 160x90
    thumbnail. A sharp, noisy camera and a soft one differ here, not in their cars, so
    slot texture measured against it carries over between cameras."""
    small = cv2.resize(frame, (160, 90), interpolation=cv2.INTER_NEAREST)
    thumb = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    gx = cv2.Sobel(thumb, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(thumb, cv2.CV_32F, 0, 1)
    magnitude = cv2.magnitude(gx, gy)
    # Quantiles from a histogram (2-level bins): cheaper than sorting the values.
    counts = cv2.calcHist([magnitude], [0], None, [_TEXTURE_BINS], [0, 2 * _TEXTURE_BINS])
    cumulative = np.cumsum(counts.ravel())
    median, upper = np.searchsorted(cumulative, [0.5 * cumulative[-1], 0.75 * cumulative[-1]])
    return float(2 * median + 1), float(2 * upper + 1)


def slot_features(
    patches: npt.NDArray[np.uint8], texture: tuple[float, float]
) -> npt.NDArray[np.float32]:
    """(N, H, W) uint8 grey patches of one frame, and that frame's `frame_texture`
    -> (N, len(FEATURE_NAMES)) features."""
    return _measure(patches, texture, False)[0]


def gradient_maps(patches: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(N, H, W) gradient magnitude of each patch relative to its brightness: what a
    calibrated lot compares with a slot's labelled looks (the same maps `slot_measures`
    returns beside the features, for samples that were stored without them)."""
    maps = _measure(patches, (0.0, 0.0), True)[1]
    assert maps is not None
    return maps


def slot_measures(
    patches: npt.NDArray[np.uint8], texture: tuple[float, float]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The features of `slot_features`, and each patch's gradient magnitude relative to
    its brightness, (N, H, W): computed here anyway, and what a calibrated lot compares
    with its slots' labelled looks, so it is not computed twice."""
    features, maps = _measure(patches, texture, True)
    assert maps is not None
    return features, maps


def _measure(
    patches: npt.NDArray[np.uint8], texture: tuple[float, float], with_maps: bool
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32] | None]:
    n, h, w = patches.shape
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros((0, h, w), np.float32)
    # The patches are laid side by side in one wide image (H, N*W): OpenCV filters and
    # per-patch sums are fast on few long rows, slow on many short ones. The first and
    # last column of each patch would see its neighbour patch: they are zeroed, the same
    # way for every slot and every camera.
    wide = np.ascontiguousarray(patches.transpose(1, 0, 2)).reshape(h, n * w)
    gx = np.asarray(cv2.Sobel(wide, cv2.CV_32F, 1, 0, ksize=1), np.float32)
    gy = np.asarray(cv2.Sobel(wide, cv2.CV_32F, 0, 1, ksize=1), np.float32)
    # The 4-neighbour Laplacian as two separable second differences (faster than
    # cv2.Laplacian's 3x3 kernel, same numbers).
    lap = np.asarray(
        cv2.Sobel(wide, cv2.CV_32F, 2, 0, ksize=1) + cv2.Sobel(wide, cv2.CV_32F, 0, 2, ksize=1),
        np.float32,
    )
    for image in (gx, gy, lap):
        seams = image.reshape(h, n, w)
        seams[:, :, 0] = 0
        seams[:, :, -1] = 0
    mag = np.asarray(cv2.magnitude(gx, gy), np.float32)

    g = wide.astype(np.float32)
    area = np.float32(h * w)
    mean = _sums(g, n) / area
    level = mean + 8.0  # brightness, floored so a black night patch does not explode ratios
    std = np.sqrt(np.maximum(_sums(g * g, n) / area - mean * mean, 0.0))
    grad = _sums(mag, n) / area
    lap_var = _sums(lap * lap, n) / area
    # Structure-tensor coherence: painted lines are one orientation, cars are many.
    jxx, jyy, jxy = (_sums(a * b, n) / area for a, b in ((gx, gx), (gy, gy), (gx, gy)))
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + _EPS)
    middle = mag[h // 4 : h - h // 4].reshape(-1, n, w)[:, :, w // 6 : w - w // 6]
    centre = np.asarray(middle.sum(axis=(0, 2)), np.float32) / (middle.shape[0] * middle.shape[2])
    # Thresholds relative to each patch's brightness, spread over its columns.
    per_column = np.repeat(level, w)[None, :]

    def share(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
        return _sums(mask.astype(np.float32), n) / area

    columns = (np.ones(h, np.float32) @ g).reshape(n, w) / (h * level[:, None])
    rows = (g.reshape(h * n, w) @ np.ones(w, np.float32)).reshape(h, n) / (w * level)
    median, upper = np.log1p(texture[0]), np.log1p(texture[1])
    log_std, log_grad = np.log1p(std), np.log1p(grad)

    values = [
        log_std,
        std / level,
        log_grad,
        grad / level,
        share(mag > 0.15 * per_column),
        share(mag > 0.4 * per_column),
        np.log1p(lap_var),
        np.sqrt(lap_var) / level,
        share(g < 0.55 * per_column),
        share(g > 1.45 * per_column),
        coherence,
        centre / (grad + 1.0),
        columns.std(axis=1),
        rows.std(axis=0),
    ]
    features = np.empty((n, len(FEATURE_NAMES)), np.float32)
    features[:, : len(values)] = np.stack(values, axis=1)
    features[:, len(values) : len(values) + 10] = _lbp_histogram(wide, n, level)
    features[:, -3:] = np.stack([log_grad - median, log_grad - upper, log_std - upper], axis=1)
    if not with_maps:
        return features, None
    relative = mag.reshape(h, n, w).transpose(1, 0, 2) / level[:, None, None]
    return features, np.ascontiguousarray(relative, np.float32)
