"""Train the plate recogniser (a small CRNN read with CTC) and export it to ONNX.

    pip install -e '.[train]'
    for s in $(seq 0 9); do python scripts/lpr/synth.py --out /tmp/synth --count 5000 \\
        --seed 1 --shard $s --backgrounds ../shared/datasets/lpr/ealpr-boxes/images; done
    nice -n 5 python scripts/lpr/train.py --synth /tmp/synth --leave-out eu,br \\
        --out /tmp/A/platenet.onnx --minutes 52 --seed 7

Render first, then train: both want the same core, and a shard is rendered in about
75 s (15 ms a plate) while a training step of 64 crops takes 0.25-0.45 s on one core.

Training data: the synthetic shards plus the real plate crops in ../shared/datasets/lpr
(ccpd-crops, ar-crops, and the plate boxes of openalpr-eu and openalpr-br), except the
sets named in `--leave-out`: those are measured, never trained on. One torch thread: the
machine is shared.

The network reads a 32x128 grey crop. Its convolutions leave a feature map two rows high
and 32 columns wide; the two rows are read one after the other (top row, then bottom
row) as one 64-step CTC sequence, so a two-row plate reads top line first and a one-row
plate is read wherever the network likes.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import HEIGHT, WIDTH, Renderer, to_input  # noqa: E402

from hub.integrations.lpr.dataset import find_crops, find_photos  # noqa: E402

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # class 0 is CTC's blank
DATASETS = ROOT.parent.parent / "shared" / "datasets" / "lpr"
SETS = ("ccpd", "ar", "eu", "br")
SLOTS = 10  # the longest plate the slot head reads


# The network's input: grey, this high and wide (the synthetic shards are resized to it).
IN_H, IN_W = 32, 128


class PlateNet(nn.Module):
    """Conv stack to a 2 x 32 map of 96 features, a 1-D conv over the 64 steps, 37 classes."""

    def __init__(self, width: int = 1, slots: bool = False, batchnorm: bool = True) -> None:
        super().__init__()
        c = [16 * width, 32 * width, 64 * width, 96 * width]

        def block(cin: int, cout: int) -> list[nn.Module]:
            if not batchnorm:  # going on from an exported file, whose convolutions hold it
                return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
            return [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]

        self.features = nn.Sequential(
            *block(1, c[0]),
            nn.MaxPool2d(2),  # 16 x 64
            *block(c[0], c[1]),
            nn.MaxPool2d(2),  # 8 x 32
            *block(c[1], c[2]),
            *block(c[2], c[2]),
            nn.MaxPool2d((2, 1)),  # 4 x 32
            *block(c[2], c[3]),
            nn.MaxPool2d((2, 1)),  # 2 x 32
            *block(c[3], c[3]),
        )
        self.sequence = nn.Sequential(
            nn.Conv1d(c[3], 128, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Dropout(0.1),
            nn.Conv1d(128, 128, 3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.classes = nn.Conv1d(128, len(ALPHABET) + 1, 1)

        self.slots = slots
        if slots:  # a class per character place instead of CTC (`--head slots`)
            self.squeeze = nn.Sequential(nn.Conv2d(c[3], 16, 1), nn.ReLU(inplace=True))
            self.places = nn.Sequential(
                nn.Flatten(),
                nn.Linear(16 * 2 * 32, 256),
                nn.ReLU(inplace=True),
                nn.Dropout(0.2),
                nn.Linear(256, SLOTS * (len(ALPHABET) + 1)),
            )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """uint8-range grey N x 1 x 32 x 128 -> log-probabilities N x 64 x 37 (CTC) or
        N x 10 x 37 (slots: the characters left-aligned, class 0 for no character)."""
        if self.slots:
            x = self.places(self.squeeze(self.features((image / 127.5) - 1.0)))
            return torch.log_softmax(x.reshape(-1, SLOTS, len(ALPHABET) + 1), dim=2)
        x = (image / 127.5) - 1.0
        x = self.features(x)  # N x C x 2 x 32
        n, c, h, w = x.shape
        x = x.reshape(n, c, h * w)  # the top row's 40 steps, then the bottom row's
        x = self.classes(self.sequence(x))
        return torch.log_softmax(x.permute(0, 2, 1), dim=2)


# --- data ---------------------------------------------------------------------------


def real_sets(
    keep: set[str], renderer: Renderer, variants: int
) -> tuple[list[np.ndarray], list[str]]:
    """Real plate crops of the kept sets, each in `variants` random margins and looks."""
    images: list[np.ndarray] = []
    labels: list[str] = []
    rng = random.Random(3)
    for name in keep:
        if name == "ccpd":
            items = [
                (cv2.imdecode(np.fromfile(i.image, np.uint8), cv2.IMREAD_COLOR), i.plate, None)
                for i in find_crops(DATASETS / "ccpd-crops")
            ]
            count = max(1, variants // 4)
        elif name == "ar":
            items = [
                (cv2.imread(str(i.image)), i.plate, None) for i in find_crops(DATASETS / "ar-crops")
            ]
            count = variants
        else:
            items = [
                (cv2.imread(str(i.image)), i.plate, i.box)
                for i in find_photos(DATASETS / f"openalpr-{name}")
            ]
            count = variants
        for image, plate, box in items:
            if image is None:
                continue
            for _ in range(count):
                if box is None:
                    crop = image
                else:
                    x, y, w, h = box
                    mx, my = rng.uniform(-0.03, 0.15) * w, rng.uniform(-0.05, 0.3) * h
                    x0, y0 = (
                        int(max(0, x - mx * rng.uniform(0.5, 1.5))),
                        int(max(0, y - my * rng.uniform(0.5, 1.5))),
                    )
                    x1 = int(min(image.shape[1], x + w + mx * rng.uniform(0.5, 1.5)))
                    y1 = int(min(image.shape[0], y + h + my * rng.uniform(0.5, 1.5)))
                    crop = image[y0:y1, x0:x1]
                images.append(
                    shrink(renderer._camera(crop) if rng.random() < 0.5 else to_input(crop))
                )
                labels.append(plate)
    return images, labels


def shrink(image: np.ndarray) -> np.ndarray:
    """A 48x160 sample (or any crop) at the network's input size."""
    if image.shape[:2] == (IN_H, IN_W):
        return image
    if image.shape[:2] != (HEIGHT, WIDTH):
        image = to_input(image)
    return cv2.resize(image, (IN_W, IN_H), interpolation=cv2.INTER_AREA)


def load_synth(folder: Path) -> tuple[np.ndarray, list[str]]:
    """Every pre-rendered shard in `folder`, at the network's input size."""
    shards = sorted(folder.glob("synth-*.npz"))
    if not shards:
        return np.zeros((0, HEIGHT, WIDTH), np.uint8), []
    images, labels = [], []
    for shard in shards:
        try:
            data = np.load(shard)
            images.append(data["images"])
            labels.extend(str(label) for label in data["labels"])
        except Exception:  # a shard still being written
            continue
    return np.stack([shrink(i) for i in np.concatenate(images)]), labels


def jitter(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Small shifts, scales, shears (about the centre) and inversions of each crop."""
    out = np.empty_like(batch)
    cx, cy = IN_W / 2, IN_H / 2
    for i, img in enumerate(batch):
        s = rng.uniform(0.92, 1.05)
        sx, sy, shear = s * rng.uniform(0.94, 1.06), s, rng.uniform(-0.05, 0.05)
        tx = (1 - sx) * cx - shear * cy + rng.uniform(-4, 4)
        ty = (1 - sy) * cy + rng.uniform(-2, 2)
        m = np.float32([[sx, shear, tx], [0, sy, ty]])
        out[i] = cv2.warpAffine(img, m, (IN_W, IN_H), borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < 0.08:
            out[i] = 255 - out[i]
    return out


def encode(labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    flat = [ALPHABET.index(c) + 1 for label in labels for c in label if c in ALPHABET]
    lengths = [sum(1 for c in label if c in ALPHABET) for label in labels]
    return torch.tensor(flat, dtype=torch.long), torch.tensor(lengths, dtype=torch.long)


def decode(log_probs: np.ndarray) -> list[tuple[str, float]]:
    """Greedy CTC: the best class per step, repeats merged, blanks dropped; the score is
    the least sure character's probability."""
    out = []
    for steps in log_probs:
        best = steps.argmax(axis=1)
        prob = np.exp(steps.max(axis=1))
        text, scores, last = [], [], 0
        for k, p in zip(best, prob, strict=True):
            if k != 0 and k != last:
                text.append(ALPHABET[k - 1])
                scores.append(p)
            last = k
        out.append(("".join(text), float(min(scores)) if scores else 0.0))
    return out


def decode_slots(log_probs: np.ndarray) -> list[tuple[str, float]]:
    out = []
    for places in log_probs:
        best = places.argmax(axis=1)
        prob = np.exp(places.max(axis=1))
        text = "".join(ALPHABET[k - 1] for k in best if k)
        out.append((text, float(prob.min())))
    return out


def slot_targets(labels: list[str]) -> torch.Tensor:
    rows = []
    for label in labels:
        chars = [ALPHABET.index(c) + 1 for c in label if c in ALPHABET][:SLOTS]
        rows.append(chars + [0] * (SLOTS - len(chars)))
    return torch.tensor(rows, dtype=torch.long)


def accuracy(model: nn.Module, images: list[np.ndarray] | np.ndarray, labels: list[str]) -> float:
    model.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(labels), 256):
            batch = torch.from_numpy(
                np.stack(images[start : start + 256])[:, None].astype(np.float32)
            )
            out = model(batch).numpy()
            reads = decode_slots(out) if getattr(model, "slots", False) else decode(out)
            for (text, _), label in zip(reads, labels[start : start + 256], strict=True):
                right += text == label
    model.train()
    return right / max(1, len(labels))


def load_onnx(model: nn.Module, path: Path) -> None:
    """Weights from an exported file into a model built with `batchnorm=False`: the
    export folded each batch norm into its convolution, so the layers line up in order."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    nodes = [node for node in graph.node if node.op_type in ("Conv", "Gemm")]
    used = ("features", "squeeze", "places") if model.slots else ("features", "sequence", "classes")
    layers = [
        m
        for part in used
        for m in getattr(model, part).modules()
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear))
    ]
    if len(nodes) != len(layers):
        raise SystemExit(f"{path}: {len(nodes)} layers, the model has {len(layers)}")
    with torch.no_grad():
        for node, layer in zip(nodes, layers, strict=True):
            layer.weight.copy_(torch.from_numpy(weights[node.input[1]].copy()))
            layer.bias.copy_(torch.from_numpy(weights[node.input[2]].copy()))


def export(model: nn.Module, path: Path) -> None:
    """The ONNX file the hub runs, and the weights beside it to go on from (`--init`)."""
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path.with_suffix(".pt"))
    dummy = torch.zeros(1, 1, IN_H, IN_W)
    output = "slot_log_probs" if getattr(model, "slots", False) else "log_probs"
    torch.onnx.export(
        model,
        dummy,
        str(path),
        input_names=["image"],
        output_names=[output],
        dynamic_axes={"image": {0: "n"}, output: {0: "n"}},
        opset_version=17,
        dynamo=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synth", type=Path, required=True)
    parser.add_argument("--leave-out", default="", help=f"comma-separated of {', '.join(SETS)}")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=45.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--head", choices=("ctc", "slots"), default="ctc")
    parser.add_argument(
        "--init", type=Path, help="weights (.pt, or an exported .onnx) to go on from"
    )
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=300, help="steps of rising learning rate")
    parser.add_argument("--check-every", type=int, default=500, help="steps between checks")
    parser.add_argument("--variants", type=int, default=20, help="looks per real crop")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    left_out = {name for name in args.leave_out.split(",") if name}
    keep = set(SETS) - left_out
    renderer = Renderer(args.seed, [])
    real_images, real_labels = (
        real_sets(keep, renderer, args.variants) if DATASETS.is_dir() else ([], [])
    )
    print(f"real crops: {len(real_labels)} from {sorted(keep)}", flush=True)
    # A fixed held-out synthetic check set, rendered with another seed.
    check = Renderer(args.seed + 999, [])
    check_samples = [check.sample() for _ in range(500)]
    check_images = [shrink(image) for image, _ in check_samples]
    check_labels = [label for _, label in check_samples]
    from_onnx = bool(args.init and args.init.suffix == ".onnx")
    model = PlateNet(slots=args.head == "slots", batchnorm=not from_onnx)
    if from_onnx:
        load_onnx(model, args.init)
    elif args.init:
        model.load_state_dict(torch.load(args.init))
    print(f"parameters: {sum(p.numel() for p in model.parameters())}", flush=True)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    deadline = time.monotonic() + 60 * args.minutes
    started = time.monotonic()
    step, losses = 0, []
    synth_images, synth_labels = load_synth(args.synth)
    while not synth_labels:  # the generator's first shard is still being written
        time.sleep(10)
        synth_images, synth_labels = load_synth(args.synth)
    shards = len(list(args.synth.glob("synth-*.npz")))
    reload_at = time.monotonic() + 300
    print(f"synthetic: {len(synth_labels)} from {shards} shards", flush=True)
    while time.monotonic() < deadline:
        if time.monotonic() > reload_at:  # a generator still running may have written more
            reload_at = time.monotonic() + 300
            if len(list(args.synth.glob("synth-*.npz"))) != shards:
                shards = len(list(args.synth.glob("synth-*.npz")))
                synth_images, synth_labels = load_synth(args.synth)
        progress = (time.monotonic() - started) / (deadline - started)
        lr = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))
        if step < args.warmup and not args.init:  # CTC's all-blank start wants a gentle one
            lr *= (step + 1) / args.warmup
        for group in optimiser.param_groups:
            group["lr"] = lr
        n_real = args.batch // 6 if real_labels else 0
        idx = rng.integers(0, len(synth_labels), args.batch - n_real)
        batch = [synth_images[i] for i in idx]
        labels = [synth_labels[i] for i in idx]
        for i in rng.integers(0, max(1, len(real_labels)), n_real):
            batch.append(real_images[i])
            labels.append(real_labels[i])
        x = torch.from_numpy(jitter(np.stack(batch), rng)[:, None].astype(np.float32))
        if args.head == "slots":
            out = model(x)
            loss = nn.functional.nll_loss(
                out.reshape(-1, out.shape[2]), slot_targets(labels).reshape(-1)
            )
        else:
            targets, lengths = encode(labels)
            log_probs = model(x).permute(1, 0, 2)  # T x N x C for CTCLoss
            steps = torch.full((len(labels),), log_probs.shape[0], dtype=torch.long)
            loss = ctc(log_probs, targets, steps, lengths)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % args.check_every == 0:
            acc = accuracy(model, list(check_images), list(check_labels))
            print(
                f"step {step} {time.monotonic() - started:.0f}s lr {lr:.5f} "
                f"loss {np.mean(losses[-args.check_every :]):.3f} "
                f"synth-check {acc:.3f} synth {len(synth_labels)}",
                flush=True,
            )
        if step % 2000 == 0:
            export(model, args.out)
            model.train()
    export(model, args.out)
    summary = {
        "steps": step,
        "minutes": args.minutes,
        "seconds_per_step": round((time.monotonic() - started) / max(1, step), 3),
        "lr": args.lr,
        "batch": args.batch,
        "head": args.head,
        "init": str(args.init) if args.init else None,
        "seed": args.seed,
        "left_out": sorted(left_out),
        "trained_on": sorted(keep),
        "synthetic": len(synth_labels),
        "real_looks": len(real_labels),
        "synth_check": accuracy(model, list(check_images), list(check_labels)),
    }
    args.out.with_suffix(".train.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
