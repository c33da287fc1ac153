"""Write the model card (`platenet.json`) beside a trained network.

    python scripts/lpr/card.py --model hub/integrations/lpr/models/platenet.onnx \\
        --train /tmp/A/platenet.train.json [--figures figures.json]

The card holds what the tests check (file size, checksum, input, alphabet) and what a
reader of it needs: the training data and their licences, the seed, the command that
rebuilds the file, and the figures measured with each set left out of training.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import FONT_PACKAGES

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
REAL_SETS = {
    "ccpd": {
        "name": "ccpd-crops (../shared/datasets/lpr): 1000 Chinese plate crops",
        "licence": "Apache-2.0 (sirius-ai/LPRNet_Pytorch @ 7c97666, crops of CCPD)",
    },
    "ar": {
        "name": "ar-crops (../shared/datasets/lpr): 147 Argentine plate crops",
        "licence": "GPL-3.0 at ankandrew/fast-plate-ocr @ ce705b4; footage rights unclear",
    },
    "eu": {
        "name": "openalpr-eu plate boxes (../shared/datasets/lpr): 108 photos",
        "licence": "AGPL-3.0 (openalpr/benchmarks @ 9790ed2)",
    },
    "br": {
        "name": "openalpr-br plate boxes (../shared/datasets/lpr): 51 photos",
        "licence": "AGPL-3.0 (openalpr/benchmarks @ 9790ed2)",
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--train", type=Path, required=True, help="train.py's summary JSON")
    parser.add_argument("--figures", type=Path, help="a JSON object of measured figures")
    parser.add_argument("--shards", type=int, default=10, help="synth.py shards trained on")
    parser.add_argument("--count", type=int, default=5000, help="plates per shard")
    args = parser.parse_args()
    data = args.model.read_bytes()
    trained = json.loads(args.train.read_text())
    leave_out = ",".join(trained["left_out"])
    card = {
        "name": "platenet",
        "what": "plate crop (one or two rows) -> A-Z0-9 text; CRNN read with CTC",
        "file": {
            "name": args.model.name,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        "input": {"name": "image", "shape": ["n", 1, 32, 128]},
        "input_notes": "grey crop stretched to 32x128, float32 0-255 (normalised inside)",
        "output": {"name": "log_probs", "shape": ["n", 64, len(ALPHABET) + 1]},
        "output_notes": "64 steps: the top feature row's 32, then the bottom's; class 0 blank",
        "alphabet": ALPHABET,
        "architecture": (
            "6 conv3x3+BN+ReLU (16-32-64-64-96-96 channels, pooled to 2x32), "
            "2 conv1d(128, k=3) over the 64 steps, conv1d to 37 classes"
        ),
        "seed": trained["seed"],
        "training": trained,
        "training_data": [
            {
                "name": (
                    f"{trained['synthetic']} synthetic plates (scripts/lpr/synth.py, seed 1): "
                    "fonts from Debian packages, backgrounds from ealpr-boxes photos"
                ),
                "licence": "generated here; fonts: " + "; ".join(FONT_PACKAGES),
            },
            {
                "name": "ealpr-boxes photos (backgrounds behind synthetic plates only)",
                "licence": "no licence stated: research use (Youssef et al., ACIRS 2022)",
            },
            *(REAL_SETS[name] for name in trained["trained_on"]),
        ],
        "left_out_of_training": trained["left_out"],
        "rebuild": (
            "pip install -e '.[train]' && apt-get install "
            + " ".join(item.split(" ")[0] for item in FONT_PACKAGES)
            + f" && for s in $(seq 0 {args.shards - 1}); do python scripts/lpr/synth.py "
            f"--out /tmp/synth --count {args.count} --seed 1 --shard $s --backgrounds "
            "../shared/datasets/lpr/ealpr-boxes/images; done && "
            f"python scripts/lpr/train.py --synth /tmp/synth --leave-out {leave_out} "
            f"--out hub/integrations/lpr/models/platenet.onnx --seed {trained['seed']} "
            f"--minutes {trained.get('minutes', 50)}"
        ),
        "rebuild_notes": (
            "training stops after a wall-clock budget on a shared 2-core machine: a rebuild "
            "runs about as many steps, not the same ones (training.steps says how many)"
        ),
        "figures": json.loads(args.figures.read_text()) if args.figures else {},
    }
    out = args.model.with_name("platenet.json")
    out.write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
