"""Train the slot network, measure it leave-one-view-out, export the shipped ONNX file.

    pip install -e '.[train]'
    python scripts/occupancy/make_datasets.py --out /tmp/occupancy-data
    python scripts/occupancy/patches.py --converted /tmp/occupancy-data --out /tmp/occupancy-patches
    python scripts/occupancy/train_net.py --patches /tmp/occupancy-patches --leave-out ufpr05
    python scripts/occupancy/train_net.py --patches /tmp/occupancy-patches --write

`--leave-out VIEW` trains on every other view and prints the left-out view's accuracy
and both recalls (threshold 0.5, nothing tuned on it) and, labelled in-sample, the
accuracy on the views it trained on; `--within VIEW` is the sanity check inside one
camera (earlier capture times to train, later ones to test); `--write` trains on every
view and writes hub/integrations/occupancy/slot_net.onnx. Prints one JSON object; one
JSON line a epoch on stderr (loss, seconds, accuracy on the held-out view: a learning
curve to read, never used to pick anything inside a run).

The network: `--arch small` (last session's 10k-weight depthwise net, 32x32) or `--arch
conv --size 48 --width 32` (a plain mAlexNet-like net, 113k weights, 450 kB ONNX; see
docs/occupancy.md for what each measured and cost). `--epochs` x `--per-view` patches
of each training view are drawn; `--aug` scales how often each augmentation is applied.
`--context stats|median` expresses each patch relative to the other slots of its frame
first (in_context; measured in docs/occupancy.md's third attempt, it did not help).

Deterministic: one thread, `torch.use_deterministic_algorithms`, every random draw from
generators seeded by `--seed`, so the same data and seed give the same file, bit for bit
(the card beside the file records its sha256).

The network sees a slot as the runtime cuts it (sampler.py): a square colour patch with
the slot's outline stretched over it (the stored 64x64 patches are shrunk to `--size`).
Each view weighs the same and each class weighs the same within a view, so the big views
do not drown the small ones. The augmentations
make a camera never seen look like one seen: quarter turns and mirror images (the slot
can lie any way round), small rotations, perspective and stretch, far-away spaces
(shrunk and blown up again), blur, JPEG, brightness, contrast, gamma, colour casts and
grey cameras, shadows across part of the slot, night (dark, blue, noisy), partial
occlusion.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "hub" / "integrations" / "occupancy" / "slot_net.onnx"
VIEWS = ("ufpr05", "aerial", "carpark", "cnr-a", "cnr-b")
# Trained on (with --extra) but never left out: views that are not real cameras.
EXTRA = ("demo",)
SIZE = 32  # the network's input side; --size changes it (stored patches are 64x64)
SEED = 16
EPOCHS = 6
PER_VIEW = 2000  # patches drawn from each training view per epoch (half of each class)
BATCH = 128
WIDTHS = (16, 32, 32, 64, 64)
ARCHS = ("small", "conv")
AUG = 1.0  # scales every augmentation's probability (Options.aug)
CONTEXTS = ("none", "stats", "median")
MIN_FRAME = 8  # a frame with fewer labelled slots takes its view's statistics instead


def _block(cin: int, cout: int, stride: int) -> list[nn.Module]:
    """Depthwise-separable: a 3x3 per channel, then a 1x1 across channels."""
    return [
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU(inplace=True),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


class SlotNet(nn.Module):
    """32x32 colour patch -> logit of "occupied". About 10k weights."""

    def __init__(self, normalise: bool = False) -> None:
        super().__init__()
        self.normalise = normalise
        a, b, c, d, e = WIDTHS
        self.features = nn.Sequential(
            nn.Conv2d(3, a, 3, 2, 1, bias=False),
            nn.BatchNorm2d(a),
            nn.ReLU(inplace=True),
            *_block(a, b, 2),
            *_block(b, c, 1),
            *_block(c, d, 2),
            *_block(d, e, 1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(e, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 3, 32, 32) in 0..1 (BGR)."""
        if self.normalise:
            # Each patch's own colour cast and contrast taken out (a floor keeps a flat
            # empty patch flat): light and camera matter less, shapes more.
            x = x - x.mean((2, 3), keepdim=True)
            x = x / (4 * (x * x).mean((1, 2, 3), keepdim=True).sqrt() + 0.1)
        else:
            x = x - 0.5
        return self.head(self.dropout(self.features(x))).squeeze(1)


class ConvNet(nn.Module):
    """A plain, wider net in the spirit of mAlexNet (Amato et al. 2016, made for parking
    occupancy across cameras): a strided 5x5 convolution, then 3x3 convolutions with
    max-pooling, global average pooling and two fully connected layers. `width` scales
    every layer; about 60k weights at width 32."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        a, b, c = width, 2 * width, 4 * width

        def conv(cin: int, cout: int, k: int, stride: int = 1) -> list[nn.Module]:
            return [
                nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]

        self.features = nn.Sequential(
            *conv(3, a, 5, 2),
            *conv(a, a, 3),
            nn.MaxPool2d(2),
            *conv(a, b, 3),
            nn.MaxPool2d(2),
            *conv(b, c, 3),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Dropout(0.3), nn.Linear(c, 64), nn.ReLU(inplace=True), nn.Linear(64, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 3, S, S) in 0..1 (BGR)."""
        return self.head(self.features(x - 0.5)).squeeze(1)


def make_net(arch: str, width: int, normalise: bool = False) -> nn.Module:
    return ConvNet(width) if arch == "conv" else SlotNet(normalise)


class Exported(nn.Module):
    """What ships: (N, 32, 32, 3) uint8 BGR patches, as the sampler cuts them -> (N,)
    logits. The layout change and scaling are inside the graph, so the runtime hands
    over its patches untouched."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        x = patches.permute(0, 3, 1, 2).to(torch.float32) * (1.0 / 255.0)
        return self.net(x)


# -- data ---------------------------------------------------------------------------------


def load(
    directory: Path, extra: bool = False, context: str = "none"
) -> dict[str, dict[str, np.ndarray]]:
    views = {}
    for name in VIEWS + (EXTRA if extra else ()):
        with np.load(directory / f"{name}.npz") as data:
            views[name] = {key: data[key] for key in ("patches", "occupied", "names", "groups")}
        if context != "none":
            views[name]["patches"] = in_context(views[name], context)
    return views


def frame_of(name: str) -> str:
    """The frame a stored patch was cut from: `frame.jpg#slot` for outlined views,
    `A/busy/20150703_0805_14.jpg` (day, time, slot) for the CNRPark crops."""
    if "#" in name:
        return name.split("#", 1)[0]
    day, time_, *_ = name.rsplit("/", 1)[-1].split("_")
    return f"{day}_{time_}"


def in_context(view: dict[str, np.ndarray], context: str) -> np.ndarray:
    """Each patch expressed relative to the other slots of its frame (labels unused),
    as the runtime could do with all of a frame's slots in one batch: the texture model
    measures its features against the whole view, a patch-only net cannot.

    `stats`: per channel, (patch - the frame's mean) / the frame's standard deviation
    over every pixel of every slot, mapped back to uint8 as 128 + 40 z (so +-3.2 sd).
    `median`: the frame's per-pixel median patch subtracted, 128 + difference: what
    every slot of the frame shares (paint, kerb, asphalt tone) cancels. A frame with
    fewer than MIN_FRAME labelled slots uses its view's (group's) statistics."""
    patches = view["patches"].astype(np.float32)
    frames = np.array([frame_of(str(n)) for n in view["names"]])
    keys = frames.copy()
    names, counts = np.unique(frames, return_counts=True)
    small = set(names[counts < MIN_FRAME].tolist())
    for index, frame in enumerate(frames):
        if frame in small:
            keys[index] = "group:" + str(view["groups"][index])
    out = np.empty_like(patches)
    for key in np.unique(keys):
        members = keys == key
        group = patches[members]
        if context == "stats":
            mean = group.mean((0, 1, 2))
            sd = group.std((0, 1, 2)) + 4.0
            out[members] = 128.0 + 40.0 * (group - mean) / sd
        else:
            out[members] = 128.0 + group - np.median(group, 0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def to_net(patches: np.ndarray) -> np.ndarray:
    """(N, 64, 64, 3) stored patches -> (N, SIZE, SIZE, 3) as the runtime cuts them."""
    n = len(patches)
    if SIZE == 64:
        return patches
    tall = patches.reshape(n * 64, 64, 3)
    return cv2.resize(tall, (SIZE, SIZE * n), interpolation=cv2.INTER_AREA).reshape(
        n, SIZE, SIZE, 3
    )


def _draw(
    views: dict[str, dict[str, np.ndarray]],
    names: list[str],
    rng: np.random.Generator,
    per_view: int = PER_VIEW,
    view_batches: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's patches: per_view from each view, half occupied, half empty; with
    view_batches every BATCH in a row comes from one view (so batch-norm statistics
    are one camera's, as they are when a lot's slots are adapted to, see adapt())."""
    chosen, labels = [], []
    for name in names:
        occupied = views[name]["occupied"]
        for kind in (True, False):
            pool = np.flatnonzero(occupied == kind)
            picked = rng.choice(pool, per_view // 2, replace=len(pool) < per_view // 2)
            chosen.append(views[name]["patches"][picked])
            labels.append(np.full(len(picked), kind))
    x, y = np.concatenate(chosen), np.concatenate(labels)
    if not view_batches:
        order = rng.permutation(len(y))
        return x[order], y[order]
    blocks = []
    for first in range(0, len(y), per_view):
        inside = first + rng.permutation(per_view)
        blocks += [inside[i : i + BATCH] for i in range(0, per_view, BATCH)]
    order = np.concatenate([blocks[i] for i in rng.permutation(len(blocks))])
    return x[order], y[order]


@torch.no_grad()
def adapt(net: nn.Module, patches: np.ndarray) -> nn.Module:
    """A copy of net whose batch-norm statistics are re-measured on one view's patches,
    labels unused (AdaBN, Li et al. 2016): what a lot could do with unlabelled frames."""
    import copy

    adapted = copy.deepcopy(net)
    for module in adapted.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a plain average over every batch
    adapted.train()
    small = torch.from_numpy(to_net(patches)).permute(0, 3, 1, 2).float() / 255.0
    for start in range(0, len(small), BATCH):
        adapted(small[start : start + BATCH])
    return adapted.eval()


def _jpeg(patches: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    out = patches.copy()
    for index in np.flatnonzero(rng.random(len(out)) < share):
        quality = int(rng.integers(15, 70))
        ok, data = cv2.imencode(".jpg", out[index], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out[index] = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return out


# -- augmentation (on a batch, in torch) -------------------------------------------------


def _u(g: torch.Generator, n: int, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=g)


def _geometry(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Quarter turns, mirrors, then a random homography (rotation, scale, stretch,
    shift, perspective) sampled straight to 32x32."""
    n = len(x)
    k = int(torch.randint(0, 4, (1,), generator=g))
    x = torch.rot90(x, k, (2, 3))
    flip = torch.rand(n, generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    angle = _u(g, n, -0.2, 0.2)
    scale = _u(g, n, 0.85, 1.12)
    stretch = torch.exp(_u(g, n, -0.2, 0.2))
    cos, sin = torch.cos(angle), torch.sin(angle)
    h = torch.zeros(n, 3, 3)
    h[:, 0, 0], h[:, 0, 1] = cos * scale * stretch, -sin * scale
    h[:, 1, 0], h[:, 1, 1] = sin * scale * stretch, cos * scale
    h[:, 0, 2], h[:, 1, 2] = _u(g, n, -0.1, 0.1), _u(g, n, -0.1, 0.1)
    h[:, 2, 0], h[:, 2, 1], h[:, 2, 2] = _u(g, n, -0.12, 0.12), _u(g, n, -0.12, 0.12), 1.0
    lin = torch.linspace(-1 + 1 / SIZE, 1 - 1 / SIZE, SIZE)
    ys, xs = torch.meshgrid(lin, lin, indexing="ij")
    points = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(1, -1, 3)
    mapped = points @ h.transpose(1, 2)
    grid = (mapped[..., :2] / mapped[..., 2:]).reshape(n, SIZE, SIZE, 2)
    small = F.avg_pool2d(x, 2) if SIZE <= 32 else x  # 64 -> 32 first: no aliasing
    return F.grid_sample(
        small, grid, mode="bilinear", padding_mode="reflection", align_corners=False
    )


def _clutter(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """What every lot has on its asphalt, occupied or not, drawn on both classes so it
    tells nothing: painted lines (white or yellow, whole or dashed), thin dark lines (a
    pole's shadow, a kerb, a crack) and light or dark stains."""
    n = len(x)
    lin = torch.linspace(-1, 1, SIZE)
    ys, xs = torch.meshgrid(lin, lin, indexing="ij")

    def some(p: float) -> torch.Tensor:
        return (torch.rand(n, generator=g) < p * AUG)[:, None, None, None]

    def line(width_low: float, width_high: float) -> tuple[torch.Tensor, torch.Tensor]:
        theta = _u(g, n, 0, math.pi)[:, None, None]
        offset = _u(g, n, -0.95, 0.95)[:, None, None]
        width = _u(g, n, width_low, width_high)[:, None, None]
        across = xs * torch.cos(theta) + ys * torch.sin(theta) - offset
        along = -xs * torch.sin(theta) + ys * torch.cos(theta)
        return (across.abs() < width)[:, None].float(), along[:, None]

    mask, along = line(0.04, 0.14)
    dashed = torch.sin(along * _u(g, n, 4, 10)[:, None, None, None]) > 0
    mask = torch.where(some(0.3), mask * dashed.float(), mask)
    yellow = torch.tensor([0.25, 0.75, 0.85])[None, :, None, None]
    white = torch.full((1, 3, 1, 1), 0.85)
    paint = torch.where(some(0.35), yellow, white) * _u(g, n, 0.6, 1.15)[:, None, None, None]
    alpha = _u(g, n, 0.4, 0.95)[:, None, None, None] * mask
    x = torch.where(some(0.4), x * (1 - alpha) + paint * alpha, x)
    mask, _ = line(0.02, 0.07)
    x = torch.where(some(0.2), x * (1 - mask * _u(g, n, 0.3, 0.7)[:, None, None, None]), x)
    cx, cy = _u(g, n, -0.8, 0.8)[:, None, None], _u(g, n, -0.8, 0.8)[:, None, None]
    radius = _u(g, n, 0.1, 0.45)[:, None, None]
    blot = torch.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / radius**2)[:, None]
    strength = _u(g, n, -0.3, 0.25)[:, None, None, None]
    return torch.where(some(0.3), x * (1 + strength * blot), x)


def _photometric(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    n = len(x)

    def some(p: float) -> torch.Tensor:
        return (torch.rand(n, generator=g) < p * AUG)[:, None, None, None]

    # Far away: shrunk to 8-24 px and blown up again.
    far = some(0.35)
    side = int(torch.randint(SIZE // 4, 3 * SIZE // 4 + 1, (1,), generator=g))
    low = F.interpolate(x, size=(side, side), mode="area")
    x = torch.where(far, F.interpolate(low, size=(SIZE, SIZE), mode="bilinear"), x)
    # Blur.
    kernel = torch.tensor([1.0, 2.0, 1.0]) / 4
    k2 = (kernel[:, None] * kernel[None, :]).expand(3, 1, 3, 3).contiguous()
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k2, groups=3)
    x = torch.where(some(0.3), blurred, x)
    # Colour: saturation, per-channel cast, grey camera.
    grey = x.mean(1, keepdim=True)
    saturation = _u(g, n, 0.3, 1.6)[:, None, None, None]
    x = grey + (x - grey) * saturation
    x = x * _u(g, 3 * n, 0.85, 1.15).reshape(n, 3, 1, 1)
    x = torch.where(some(0.15), x.mean(1, keepdim=True).expand_as(x), x)
    # Brightness, contrast, gamma.
    mean = x.mean((1, 2, 3), keepdim=True)
    x = mean + (x - mean) * _u(g, n, 0.5, 1.5)[:, None, None, None]
    x = x * _u(g, n, 0.7, 1.4)[:, None, None, None]
    x = x.clamp(0, 1) ** _u(g, n, 0.75, 1.3)[:, None, None, None]
    # A shadow over one side of a line through the patch.
    lin = torch.linspace(-1, 1, SIZE)
    ys, xs = torch.meshgrid(lin, lin, indexing="ij")
    theta = _u(g, n, 0, 2 * math.pi)[:, None, None]
    offset = _u(g, n, -0.7, 0.7)[:, None, None]
    side_mask = (xs * torch.cos(theta) + ys * torch.sin(theta) > offset)[:, None]
    shade = _u(g, n, 0.35, 0.8)[:, None, None, None]
    x = torch.where(some(0.3) & side_mask, x * shade, x)
    # Night: dark, bluish, noisy.
    night = x * _u(g, n, 0.12, 0.4)[:, None, None, None]
    night = night * torch.tensor([1.25, 1.0, 0.85])[None, :, None, None]
    night = night + 0.04 * torch.randn(x.shape, generator=g)
    x = torch.where(some(0.1), night, x)
    x = _clutter(x, g)
    # Partial occlusion: a block of one colour over up to a quarter of the patch.
    occluded = some(0.2)
    w = torch.randint(SIZE // 8, SIZE // 2, (n,), generator=g)
    hgt = torch.randint(SIZE // 8, SIZE // 2, (n,), generator=g)
    x0 = (torch.rand(n, generator=g) * (SIZE - w)).long()
    y0 = (torch.rand(n, generator=g) * (SIZE - hgt)).long()
    index = torch.arange(SIZE)
    inside = ((index[None, :] >= x0[:, None]) & (index[None, :] < (x0 + w)[:, None]))[
        :, None, :
    ] & ((index[None, :] >= y0[:, None]) & (index[None, :] < (y0 + hgt)[:, None]))[:, :, None]
    colour = torch.rand(n, 3, 1, 1, generator=g)
    x = torch.where(occluded & inside[:, None], colour, x)
    # Sensor noise.
    x = x + _u(g, n, 0.0, 0.035)[:, None, None, None] * torch.randn(x.shape, generator=g)
    return x.clamp(0, 1)


# -- training and measuring ---------------------------------------------------------------


@dataclass
class Options:
    """How one network is trained (the command line's choices)."""

    seed: int = SEED
    epochs: int = EPOCHS
    per_view: int = PER_VIEW
    arch: str = "small"
    width: int = 32
    aug: float = 1.0  # 0: quarter turns and mirrors only; 1: every augmentation
    normalise: bool = False
    lr: float = 4e-3
    view_batches: bool = False


def train(
    views: dict[str, dict[str, np.ndarray]],
    names: list[str],
    options: Options,
    watch: dict[str, dict[str, np.ndarray]] | None = None,
) -> nn.Module:
    """Train on `names`; after every epoch print the accuracy on each `watch` view (a
    learning curve, never used to choose anything inside a run)."""
    global AUG
    AUG = options.aug
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    g = torch.Generator().manual_seed(options.seed)
    net = make_net(options.arch, options.width, options.normalise)
    steps = options.epochs * math.ceil(len(names) * options.per_view / BATCH)
    optimiser = torch.optim.AdamW(net.parameters(), lr=options.lr, weight_decay=1e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, options.lr, total_steps=steps)
    for epoch in range(options.epochs):
        started = time.perf_counter()
        patches, labels = _draw(views, names, rng, options.per_view, options.view_batches)
        patches = _jpeg(patches, rng, 0.3 * options.aug)
        net.train()
        total = 0.0
        for start in range(0, len(labels), BATCH):
            chunk = torch.from_numpy(patches[start : start + BATCH]).permute(0, 3, 1, 2)
            x = _geometry(chunk.float() / 255.0, g)
            if options.aug > 0:
                x = _photometric(x, g)
            y = torch.from_numpy(labels[start : start + BATCH]).float()
            loss = F.binary_cross_entropy_with_logits(net(x), y * 0.94 + 0.03)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(y)
        line: dict[str, object] = {
            "epoch": epoch,
            "loss": round(total / len(labels), 4),
            "s": round(time.perf_counter() - started, 1),
        }
        for name, view in (watch or {}).items():
            net.eval()
            line[name] = score(logits(net, view["patches"]) >= 0, view["occupied"])["accuracy"]
        print(json.dumps(line), file=sys.stderr, flush=True)
    return net.eval()


@torch.no_grad()
def logits(net: nn.Module, patches: np.ndarray) -> np.ndarray:
    """Logits of stored (N, 64, 64, 3) patches, cut down as the runtime cuts them."""
    small = torch.from_numpy(to_net(patches))
    exported = Exported(net).eval()
    return np.concatenate([exported(small[i : i + 512]).numpy() for i in range(0, len(small), 512)])


def score(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float | int | None]:
    return {
        "slots": len(truth),
        "accuracy": round(float((predicted == truth).mean()), 4),
        "recall_occupied": round(float(predicted[truth].mean()), 4) if truth.any() else None,
        "recall_empty": round(float((~predicted[~truth]).mean()), 4) if (~truth).any() else None,
    }


def export(net: nn.Module, path: Path) -> str:
    example = torch.zeros(4, SIZE, SIZE, 3, dtype=torch.uint8)
    torch.onnx.export(
        Exported(net).eval(),
        (example,),
        str(path),
        input_names=["patches"],
        output_names=["logits"],
        dynamic_axes={"patches": {0: "slots"}, "logits": {0: "slots"}},
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split_within(view: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A sanity split inside one camera: the earlier half of its capture times (or days)
    to train on, the later half to test on (never the same frame on both sides)."""
    pairs = zip(view["names"], view["groups"], strict=True)
    keys = np.array([n.rsplit("/", 1)[-1].split("_")[1] if "/" in n else g for n, g in pairs])
    order = np.unique(keys)
    first = set(order[: len(order) // 2].tolist())
    earlier = np.array([k in first for k in keys])
    return earlier, ~earlier


def main() -> None:
    global SIZE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=Path, required=True, help="patches.py --out")
    parser.add_argument("--leave-out", choices=VIEWS, action="append", default=[])
    parser.add_argument(
        "--exclude",
        choices=VIEWS,
        action="append",
        default=[],
        help="also keep this view out of every fold (nested leave-one-view-out)",
    )
    parser.add_argument(
        "--within",
        choices=VIEWS,
        help="sanity: earlier half of a view to train on, the rest to test",
    )
    parser.add_argument("--write", action="store_true", help="train on all, write the model")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--nets", type=Path, help="with --leave-out: write without_VIEW.onnx here")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--per-view", type=int, default=PER_VIEW)
    parser.add_argument("--size", type=int, default=SIZE, choices=(32, 48, 64))
    parser.add_argument("--arch", choices=ARCHS, default="small")
    parser.add_argument("--width", type=int, default=32, help="--arch conv: first layer's width")
    parser.add_argument("--aug", type=float, default=1.0, help="augmentation strength 0-1")
    parser.add_argument("--lr", type=float, default=4e-3)
    parser.add_argument("--normalise", action="store_true", help="per-patch normalisation")
    parser.add_argument("--view-batches", action="store_true", help="each batch from one view")
    parser.add_argument(
        "--adapt", action="store_true", help="also score the left-out view after adapt()"
    )
    parser.add_argument("--extra", action="store_true", help="also train on the demo lot")
    parser.add_argument(
        "--context",
        choices=CONTEXTS,
        default="none",
        help="express each patch relative to its frame's slots (see in_context)",
    )
    args = parser.parse_args()
    SIZE = args.size
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    options = Options(
        args.seed,
        args.epochs,
        args.per_view,
        args.arch,
        args.width,
        args.aug,
        args.normalise,
        args.lr,
        args.view_batches,
    )
    views = load(args.patches, args.extra, args.context)
    trained = [v for v in (*VIEWS, *(EXTRA if args.extra else ())) if v not in args.exclude]
    tag = "".join(f"+{view}" for view in args.exclude)
    report: dict[str, object] = {**asdict(options), "size": SIZE, "context": args.context}
    if args.within:
        whole = views[args.within]
        earlier, later = split_within(whole)
        part = {k: v[earlier] for k, v in whole.items()}
        rest = {k: v[later] for k, v in whole.items()}
        net = train({"part": part}, ["part"], options, {"later": rest, "earlier": part})
        report["within"] = {
            "view": args.within,
            "earlier_in_sample": score(logits(net, part["patches"]) >= 0, part["occupied"]),
            "later": score(logits(net, rest["patches"]) >= 0, rest["occupied"]),
        }
    for held in args.leave_out:
        started = time.perf_counter()
        net = train(views, [v for v in trained if v != held], options, {held: views[held]})
        truth = views[held]["occupied"]
        if args.nets is not None:
            args.nets.mkdir(parents=True, exist_ok=True)
            export(net, args.nets / f"without_{held}{tag}.onnx")
        report[f"without_{held}{tag}"] = {
            **score(logits(net, views[held]["patches"]) >= 0, truth),
            "train_s": round(time.perf_counter() - started, 1),
            "in_sample": {
                v: score(logits(net, views[v]["patches"]) >= 0, views[v]["occupied"])["accuracy"]
                for v in trained
                if v != held and v in VIEWS
            },
        }
        if args.adapt:
            adapted = adapt(net, views[held]["patches"])
            report[f"without_{held}{tag}"]["adapted_unlabelled"] = score(  # type: ignore[index]
                logits(adapted, views[held]["patches"]) >= 0, truth
            )
        print(json.dumps(report), file=sys.stderr, flush=True)
    if args.write:
        net = train(views, trained, options)
        report["sha256"] = export(net, args.out)
        report["file"] = str(args.out)
        report["bytes"] = args.out.stat().st_size
        report["trained_on_all_in_sample"] = {
            v: score(logits(net, views[v]["patches"]) >= 0, views[v]["occupied"]) for v in VIEWS
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
