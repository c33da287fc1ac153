"""Synthetic licence plates in many national styles, for training the plate recogniser.

Each sample is a plate drawn with a font from a Debian font package (see FONT_PACKAGES;
all free licences, listed in the model card) or OpenCV's Hershey fonts, in a country's
layout and colours, with the clutter real plates carry (state names and slogans, frames
and dealer names, bolts, stickers, a country strip), then photographed badly: perspective,
blur, low resolution, glare, dirt, night, JPEG. The crop handed to the network is either
the whole plate with a margin or one row of characters as the reader's finder cuts it.

    python scripts/lpr/synth.py --out /tmp/synth --count 20000 --seed 1 [--shard 0]

writes `OUT/synth-SEED-SHARD.npz` (`images`: N x 48 x 160 uint8 grey, `labels`: str).
Only development machines run this (Pillow, fonts); the hub never does.
"""

from __future__ import annotations

import argparse
import glob
import random
import string
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HEIGHT, WIDTH = 48, 160
# A plate style: its kind, rows of text, colours and decorations (`Renderer.style`).
Style = dict[str, Any]
LETTERS = string.ascii_uppercase
DIGITS = string.digits
# The Debian packages whose fonts are drawn from (all free: see the model card).
FONT_PACKAGES = (
    "fonts-dejavu-core (Bitstream Vera / public domain)",
    "fonts-liberation2 (OFL-1.1)",
    "fonts-freefont-ttf (GPL-3+ with font exception)",
    "fonts-croscore (Apache-2.0)",
    "fonts-roboto-unhinted (Apache-2.0)",
    "fonts-open-sans (Apache-2.0)",
    "fonts-urw-base35 (AGPL-3 with font exception)",
    "fonts-b612 (OFL-1.1)",
    "fonts-league-spartan (OFL-1.1)",
    "fonts-cantarell (OFL-1.1)",
    "fonts-texgyre (GUST font licence)",
    "fonts-hack (MIT)",
    "fonts-lato (OFL-1.1)",
    "fonts-adf-gillius (GPL-2+ with font exception)",
    "fonts-wqy-microhei (Apache-2.0 / GPL-3; the Chinese province character only)",
    "fonts-opendin (OFL-1.1; Open DIN, close to DIN 1451 / FE plate lettering)",
    "fonts-bebas-neue (OFL-1.1)",
    "fonts-league-mono (OFL-1.1)",
)
# Faces that look like plate lettering, per kind of plate, and the package each comes
# from (a missing one stops the script naming its package). "din": DIN 1451 / FE-Schrift
# (Germany, most of the EU, Mercosur) and the condensed DIN-like "Mandatory" of Brazil's
# grey plates; "narrow": the narrow gothic of US, Chinese and many other plates.
_TT, _OT = "/usr/share/fonts/truetype/", "/usr/share/fonts/opentype/"
PLATE_FACES: dict[str, tuple[tuple[str, str], ...]] = {
    "din": (
        (_TT + "opendin/OSP-DIN.ttf", "fonts-opendin"),
        (
            _TT + "roboto/unhinted/RobotoCondensed-[BM]*[dm].ttf",
            "fonts-roboto-unhinted",
        ),
        (_TT + "dejavu/DejaVuSansCondensed-Bold.ttf", "fonts-dejavu-core"),
        (
            _OT + "league-mono/LeagueMono-Condensed[BMS]*.otf",
            "fonts-league-mono",
        ),
        (_OT + "b612/B612-Bold.otf", "fonts-b612"),
    ),
    "narrow": (
        (_OT + "bebas-neue/BebasNeue-[BR]*.otf", "fonts-bebas-neue"),
        (_OT + "league-mono/LeagueMono-Narrow[BMRS]*.otf", "fonts-league-mono"),
        (_OT + "urw-base35/NimbusSansNarrow-[BR]*[dr].otf", "fonts-urw-base35"),
        (
            _TT + "roboto/unhinted/RobotoCondensed-Bold.ttf",
            "fonts-roboto-unhinted",
        ),
        (_TT + "opendin/OSP-DIN.ttf", "fonts-opendin"),
    ),
}
# How often each kind of plate is lettered in a plate face (else any of the fonts), and
# which group.
_FACE_FOR_KIND: dict[str, tuple[str, float]] = {
    "eu": ("din", 0.8),
    "uk": ("din", 0.5),
    "ru": ("din", 0.7),
    "br": ("din", 0.8),
    "ar": ("din", 0.6),
    "us": ("narrow", 0.7),
    "cn": ("narrow", 0.5),
    "in": ("din", 0.3),
    "two_row": ("narrow", 0.4),
    "generic": ("narrow", 0.3),
}
_FONT_GLOBS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans*Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed*.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono*.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif*Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/*-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/Free*Bold.ttf",
    "/usr/share/fonts/truetype/croscore/*-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-*.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-[BM]*.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-*Bold.ttf",
    "/usr/share/fonts/opentype/urw-base35/*-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
    "/usr/share/fonts/opentype/b612/*.otf",
    "/usr/share/fonts/opentype/league-spartan/LeagueSpartan-[BMS]*.otf",
    "/usr/share/fonts/opentype/cantarell/Cantarell-*Bold.otf",
    "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyre*-bold.otf",
    "/usr/share/fonts/truetype/hack/Hack-Bold.ttf",
    "/usr/share/fonts/truetype/lato/Lato-[BHMS]*.ttf",
    "/usr/share/fonts/truetype/adf/GilliusADF*.otf",
)
_SCRIPT_GLOBS = (
    "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-*Italic.ttf",
    "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyrechorus-mediumitalic.otf",
)
_CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_HERSHEY = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
)
_STATES = (
    "CALIFORNIA",
    "Texas",
    "NEW YORK",
    "Florida",
    "ILLINOIS",
    "Ohio",
    "GEORGIA",
    "Michigan",
    "ARIZONA",
    "Nevada",
    "OREGON",
    "Washington",
    "COLORADO",
    "Utah",
    "MARYLAND",
    "Virginia",
    "NEW JERSEY",
    "Pennsylvania",
    "MASSACHUSETTS",
    "Indiana",
    "TENNESSEE",
    "Kentucky",
)
_SLOGANS = (
    "dmv.ca.gov",
    "The Lone Star State",
    "Sunshine State",
    "Land of Lincoln",
    "EMPIRE STATE",
    "Great Lakes",
    "Grand Canyon State",
    "Live Free or Die",
    "Garden State",
    "visitPA.com",
    "Peach State",
    "Virginia is for lovers",
    "Crossroads of America",
    "Volunteer State",
)
_WORDS = ("BRASIL", "REPUBLICA ARGENTINA", "SAO PAULO", "RIO DE JANEIRO", "INDIA", "MERCOSUR")


def _fonts(patterns: tuple[str, ...]) -> list[str]:
    return sorted({path for pattern in patterns for path in glob.glob(pattern)})


def plate_faces() -> dict[str, list[str]]:
    """The plate faces per group; stops naming the Debian package of any that is missing
    (they are what makes the synthetic plates look like real ones: no silent fallback)."""
    faces: dict[str, list[str]] = {}
    missing = set()
    for group, entries in PLATE_FACES.items():
        faces[group] = []
        for pattern, package in entries:
            found = sorted(glob.glob(pattern))
            if not found:
                missing.add(package)
            faces[group].extend(found)
    if missing:
        raise SystemExit(f"plate fonts missing: apt-get install {' '.join(sorted(missing))}")
    return faces


class Renderer:
    """Draws one random plate crop at a time; deterministic for a seed."""

    def __init__(self, seed: int, backgrounds: list[np.ndarray]) -> None:
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.fonts = _fonts(_FONT_GLOBS)
        self.scripts = _fonts(_SCRIPT_GLOBS) or self.fonts
        if not self.fonts:
            raise SystemExit("no fonts found: apt-get install the packages in FONT_PACKAGES")
        self.faces = plate_faces()
        self.backgrounds = backgrounds
        self._cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}

    def font(self, path: str, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        if key not in self._cache:
            self._cache[key] = ImageFont.truetype(path, size)
        return self._cache[key]

    # --- text -----------------------------------------------------------------------

    def _pattern(self, pattern: str) -> str:
        """`L` a letter, `D` a digit, `X` either, other characters as they are."""
        out = []
        for char in pattern:
            if char == "L":
                out.append(self.rng.choice(LETTERS))
            elif char == "D":
                out.append(self.rng.choice(DIGITS))
            elif char == "X":
                out.append(self.rng.choice(LETTERS + DIGITS))
            else:
                out.append(char)
        return "".join(out)

    def style(self, kind: str | None = None) -> Style:
        """A plate style (of `kind`, or one drawn at random): rows of (printed text),
        colours and decorations."""
        r = self.rng
        kind = (
            kind
            or r.choices(
                ["eu", "uk", "us", "br", "ar", "cn", "in", "two_row", "generic", "ru"],
                weights=[14, 6, 22, 8, 8, 10, 10, 8, 10, 4],
            )[0]
        )
        white = (r.randint(215, 255),) * 3
        yellow = (r.randint(220, 255), r.randint(190, 225), r.randint(0, 60))
        black = (r.randint(0, 40),) * 3
        st: Style = {
            "kind": kind,
            "rows": [],
            "strip": None,
            "top": None,
            "bottom": None,
            "bg": white,
            "fg": black,
            "ratio": 4.7,
            "cjk": False,
        }
        if kind == "eu":
            st["rows"] = [
                self._pattern(
                    r.choice(
                        [
                            "LL DDDD",
                            "L LL DDDD",
                            "LL-DDD-LL",
                            "DD-LLL-D",
                            "LLL DDDD",
                            "LL DDDDD",
                            "LLL-LL DDD",
                            "DDD-LLL",
                            "LL DDD LL",
                            "L DDDD LL",
                            "LLL DDL",
                            "LL-DDDD-L",
                        ]
                    )
                )
            ]
            st["bg"] = r.choice([white, white, yellow])
            st["strip"] = r.choice(["D", "F", "NL", "PL", "I", "E", "B", "A", "CZ", "SK", "H", ""])
            st["ratio"] = r.uniform(4.2, 4.9)
        elif kind == "uk":
            st["rows"] = [self._pattern("LLDD LLL")]
            st["bg"] = r.choice([white, yellow])
            st["strip"] = r.choice([None, "GB", "UK"])
        elif kind == "us":
            st["rows"] = [
                self._pattern(
                    r.choice(
                        [
                            "DLLLDDD",
                            "LLL DDDD",
                            "LLL-DDDD",
                            "LLL DDD",
                            "DDD LLL",
                            "LL DDDDD",
                            "DDD-LLL",
                            "DLL DDDD",
                            "LLLDDDD",
                            "DDDDDD",
                            "LLLLLL",
                            "LLL-DLL",
                            "XXXXXX",
                        ]
                    )
                )
            ]
            st["bg"] = r.choice(
                [
                    white,
                    white,
                    yellow,
                    (r.randint(180, 255), r.randint(200, 255), r.randint(200, 255)),
                    (r.randint(200, 255),) * 3,
                ]
            )
            st["fg"] = r.choice(
                [
                    black,
                    (r.randint(10, 60), r.randint(20, 70), r.randint(90, 160)),
                    (r.randint(120, 170), 20, 20),
                    (20, r.randint(70, 110), 40),
                ]
            )
            st["top"] = r.choice(_STATES)
            st["bottom"] = r.choice([*_SLOGANS, None])
            st["ratio"] = r.uniform(1.9, 2.1)
            st["stickers"] = r.random() < 0.5
        elif kind == "br":
            if r.random() < 0.5:
                st["rows"] = [self._pattern("LLL-DDDD")]
                st["bg"] = (r.randint(170, 215),) * 3
                st["top"] = r.choice(
                    ["SP - SAO PAULO", "RJ - RIO DE JANEIRO", "MG - BELO HORIZONTE"]
                )
            else:
                st["rows"] = [self._pattern("LLLDLDD")]
                st["band"] = ((0, 40, 160), "BRASIL")
            st["ratio"] = r.uniform(3.0, 3.4)
        elif kind == "ar":
            if r.random() < 0.5:
                st["rows"] = [self._pattern("LLL DDD")]
                st["bg"] = black
                st["fg"] = white
                st["top"] = r.choice(["ARGENTINA", None])
            else:
                st["rows"] = [self._pattern("LL DDD LL")]
                st["band"] = ((0, 40, 160), "REPUBLICA ARGENTINA")
            st["ratio"] = r.uniform(2.9, 3.4)
        elif kind == "cn":
            colour = r.choice(["blue", "blue", "yellow", "green"])
            tail = self._pattern(r.choice(["XXXXX", "DDDDD", "LDDDD", "XXXDD"]))
            if colour == "green":
                tail = self._pattern(r.choice(["DDDDDD", "LXDDDD", "DLDDDD"]))
            st["rows"] = [r.choice(_PROVINCES) + self._pattern("L") + "·" + tail]
            st["cjk"] = True
            st["bg"] = {
                "blue": (r.randint(0, 40), r.randint(50, 100), r.randint(150, 220)),
                "yellow": yellow,
                "green": (r.randint(150, 200), r.randint(210, 240), r.randint(160, 200)),
            }[colour]
            st["fg"] = white if colour == "blue" else black
            st["ratio"] = r.uniform(3.0, 3.6)
        elif kind == "in":
            if r.random() < 0.5:
                st["rows"] = [
                    self._pattern(r.choice(["LL DD LL DDDD", "LL DD L DDDD", "LLDDLLDDDD"]))
                ]
                st["ratio"] = r.uniform(4.2, 5.0)
            else:
                st["rows"] = [
                    self._pattern(r.choice(["LL DD LL", "LLDDL", "LL DD"])),
                    self._pattern("DDDD"),
                ]
                st["ratio"] = r.uniform(1.6, 2.0)
            st["bg"] = r.choice([white, white, yellow])
            st["strip"] = r.choice([None, None, "IND"])
        elif kind == "two_row":
            st["rows"] = [
                self._pattern(r.choice(["LL DD", "LLL", "DD LL", "LDD", "LL"])),
                self._pattern(r.choice(["DDDD", "DDD", "DDDDD", "DD DD", "LDDD"])),
            ]
            st["ratio"] = r.uniform(1.0, 1.8)
            st["bg"] = r.choice([white, yellow, (r.randint(30, 80),) * 3])
            st["fg"] = black if st["bg"][0] > 128 else white
        elif kind == "ru":
            st["rows"] = [self._pattern("L DDD LL")]
            st["region"] = self._pattern(r.choice(["DD", "DDD"]))
            st["ratio"] = r.uniform(4.3, 4.8)
        else:  # generic: any letters and digits, any colours
            st["rows"] = [self._pattern("X" * r.randint(4, 9))]
            a, b = (r.randint(0, 255) for _ in range(3)), (r.randint(0, 255) for _ in range(3))
            bg, fg = tuple(a), tuple(b)
            if abs(sum(bg) - sum(fg)) < 200:
                fg = black if sum(bg) > 380 else white
            st["bg"], st["fg"] = bg, fg
            st["ratio"] = r.uniform(2.0, 5.0)
        return st

    # --- drawing --------------------------------------------------------------------

    def plate(self, st: Style) -> tuple[Image.Image, list[tuple[int, int, int, int]], list[str]]:
        """The plate face, the boxes of its rows of characters, and each row's label."""
        r = self.rng
        h = 120
        w = int(h * st["ratio"])
        img = Image.new("RGB", (w, h), st["bg"])
        draw = ImageDraw.Draw(img)
        if r.random() < 0.4:  # a gradient or picture-like wash (US, new plates)
            wash = np.linspace(r.uniform(-40, 20), r.uniform(-20, 40), h)[:, None, None]
            arr = np.clip(np.asarray(img, np.float32) + wash, 0, 255).astype(np.uint8)
            img = Image.fromarray(arr)
            draw = ImageDraw.Draw(img)
        left, right, top, bottom = int(0.05 * w), int(0.95 * w), int(0.12 * h), int(0.9 * h)
        if r.random() < 0.5:  # the pressed rim just inside the edge (EU, Brazil, Argentina)
            inset, width = r.randint(1, 5), r.randint(2, 5)
            draw.rectangle(
                [inset, inset, w - 1 - inset, h - 1 - inset], outline=st["fg"], width=width
            )
        if st.get("band"):
            colour, word = st["band"]
            draw.rectangle([0, 0, w, int(0.2 * h)], fill=colour)
            self._text(
                draw,
                word,
                (w // 2, int(0.1 * h)),
                int(0.14 * h),
                (255, 255, 255),
                self.rng.choice(self.fonts),
            )
            top = int(0.25 * h)
        if st["strip"] is not None:
            # 40-45 mm of a 110 mm high plate (round 3 drew it a third as wide, and the
            # network read the real strip as a letter: see docs/lpr.md)
            sw = int(r.uniform(0.3, 0.42) * h) if st["ratio"] > 3 else int(0.18 * w)
            draw.rectangle(
                [0, 0, sw, h], fill=(r.randint(0, 30), r.randint(40, 70), r.randint(140, 200))
            )
            for k in range(8 if r.random() < 0.7 else 0):  # the ring of stars
                ang = k * np.pi / 4
                cx, cy = sw / 2 + 0.25 * sw * np.cos(ang), 0.3 * h + 0.25 * sw * np.sin(ang)
                draw.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=(230, 200, 0))
            if st["strip"]:
                self._text(
                    draw,
                    st["strip"],
                    (sw // 2, int(0.75 * h)),
                    int(0.22 * h),
                    (255, 255, 255),
                    r.choice(self.fonts),
                )
            left = sw + int(0.03 * w)
        if st["top"]:
            font = r.choice(self.scripts if st["top"][1:].islower() else self.fonts)
            colour = r.choice([st["fg"], (150, 20, 20), (20, 40, 140)])
            self._text(draw, st["top"], (w // 2, int(0.13 * h)), int(0.17 * h), colour, font)
            top = max(top, int(0.26 * h))
        if st["bottom"]:
            self._text(
                draw,
                st["bottom"],
                (w // 2, int(0.9 * h)),
                int(0.12 * h),
                st["fg"],
                r.choice(self.scripts + self.fonts),
            )
            bottom = int(0.8 * h)
        if st.get("region"):
            rx = int(0.78 * w)
            draw.line([rx, 0, rx, h], fill=st["fg"], width=3)
            self._text(
                draw,
                st["region"],
                ((rx + w) // 2, int(0.4 * h)),
                int(0.4 * h),
                st["fg"],
                r.choice(self.fonts),
            )
            self._text(
                draw,
                "RUS",
                ((rx + w) // 2, int(0.82 * h)),
                int(0.15 * h),
                st["fg"],
                r.choice(self.fonts),
            )
            right = rx - int(0.02 * w)
        if st.get("stickers"):
            for sx in r.sample([int(0.04 * w), int(0.8 * w)], k=r.randint(1, 2)):
                colour = (r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))
                draw.rectangle([sx, int(0.05 * h), sx + int(0.15 * w), int(0.25 * h)], fill=colour)
                self._text(
                    draw,
                    str(r.randint(20, 30)),
                    (sx + int(0.075 * w), int(0.15 * h)),
                    int(0.12 * h),
                    (0, 0, 0),
                    r.choice(self.fonts),
                )
        rows = st["rows"]
        group, share = _FACE_FOR_KIND[st["kind"]]
        st["plate_face"] = r.random() < share
        font = r.choice(self.faces[group] if st["plate_face"] else self.fonts)
        hershey = r.random() < 0.1 and not st["cjk"]
        boxes: list[tuple[int, int, int, int]] = []
        labels: list[str] = []
        n = len(rows)
        gap = int(0.06 * h)
        row_h = (bottom - top - gap * (n - 1)) / n
        for i, text in enumerate(rows):
            y0 = top + i * (row_h + gap)
            box = self._row(img, text, (left, int(y0), right, int(y0 + row_h)), font, st, hershey)
            boxes.append(box)
            labels.append("".join(c for c in text if c.isascii() and c.isalnum()))
        if r.random() < 0.5:  # bolts
            for bx in (int(0.2 * w), int(0.8 * w)):
                by = r.choice([int(0.08 * h), int(0.5 * h), int(0.92 * h)])
                shade = r.randint(60, 200)
                draw = ImageDraw.Draw(img)
                draw.ellipse([bx - 5, by - 5, bx + 5, by + 5], fill=(shade,) * 3)
        return img, boxes, labels

    def _text(
        self,
        draw: ImageDraw.ImageDraw,
        text: str,
        centre: tuple[int, int],
        size: int,
        colour: tuple[int, ...],
        font_path: str,
    ) -> None:
        font = self.font(font_path, max(6, size))
        draw.text(centre, text, fill=tuple(colour), font=font, anchor="mm")

    def _row(
        self,
        img: Image.Image,
        text: str,
        area: tuple[int, int, int, int],
        font_path: str,
        st: Style,
        hershey: bool,
    ) -> tuple[int, int, int, int]:
        """Draw one row of characters filling `area` (squeezed or stretched to fit, like
        plate lettering); returns the row's box."""
        r = self.rng
        x0, y0, x1, y1 = area
        ah, aw = y1 - y0, x1 - x0
        scale = r.uniform(0.75, 1.0)
        glyph_h = int(ah * scale)
        if hershey:
            face = r.choice(_HERSHEY)
            thick = r.randint(2, 5)
            (tw, th), _ = cv2.getTextSize(text, face, 1.0, thick)
            canvas = np.zeros((th * 2 + 10, tw + 20), np.uint8)
            cv2.putText(canvas, text, (10, th + 5), face, 1.0, 255, thick, cv2.LINE_AA)
        else:
            canvas = self._lettering(text, font_path, st)
        ys, xs = np.nonzero(canvas > 40)
        if ys.size == 0:
            return (x0, y0, aw, ah)
        canvas = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        ch, cw = canvas.shape
        squeeze = r.uniform(0.7, 1.2) if st.get("plate_face") else r.uniform(0.8, 1.25)
        want_w = int(cw * glyph_h / ch * squeeze)
        want_w = min(want_w, int(aw * r.uniform(0.85, 0.98)))
        glyphs = cv2.resize(canvas, (max(4, want_w), max(4, glyph_h)), interpolation=cv2.INTER_AREA)
        gx = x0 + (aw - want_w) // 2 + r.randint(-3, 3)
        gy = y0 + (ah - glyph_h) // 2
        arr = np.asarray(img).astype(np.float32)
        alpha = glyphs.astype(np.float32)[:, :, None] / 255.0
        region = arr[gy : gy + glyph_h, gx : gx + want_w]
        alpha = alpha[: region.shape[0], : region.shape[1]]
        fg = np.array(st["fg"], np.float32)
        if r.random() < 0.35:  # embossed: a shadow below-right, a highlight above-left
            d = r.randint(1, 3)
            shadow = np.roll(np.roll(alpha, d, 0), d, 1)
            region[:] = region * (1 - 0.5 * shadow) + 0.5 * shadow * 0
            light = np.roll(np.roll(alpha, -d, 0), -d, 1)
            region[:] = region * (1 - 0.4 * light) + 0.4 * light * 255
        region[:] = region * (1 - alpha) + alpha * fg
        img.paste(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)))
        return (gx, gy, want_w, glyph_h)

    def _lettering(self, text: str, font_path: str, st: Style) -> np.ndarray:
        """The row's characters as a grey mask at 96 px. In a plate face each character is
        set on its own with the plate's wider tracking, the stroke made heavier or lighter
        (plate lettering is pressed, painted or printed in many weights), and an EU plate
        may carry its seals or coat of arms between the groups (read as a character by
        a network that never saw one)."""
        r = self.rng
        face = bool(st.get("plate_face"))
        tracking = r.randint(-2, 14) if face else 0
        chunk_gap = r.randint(8, 40) if face else r.randint(0, 20)
        parts: list[np.ndarray] = []
        chunks = self._chunks(text, st)
        emblem_after = 0 if st["kind"] == "eu" and len(chunks) > 1 and r.random() < 0.5 else -1
        for index, chunk in enumerate(chunks):
            path = _CJK_FONT if not chunk.isascii() else font_path
            font = self.font(path, 96)
            pieces = list(chunk) if face and chunk.isascii() else [chunk]
            for k, piece in enumerate(pieces):
                bbox = font.getbbox(piece)
                layer = Image.new("L", (max(1, bbox[2] - bbox[0]) + 8, 130), 0)
                ImageDraw.Draw(layer).text((4 - bbox[0], 0), piece, fill=255, font=font)
                gap = tracking if k < len(pieces) - 1 else chunk_gap
                parts.append(np.pad(np.asarray(layer), ((0, 0), (0, max(0, gap)))))
            if index == emblem_after:
                parts.append(self._emblem())
        canvas = np.concatenate(parts, axis=1)
        if face and r.random() < 0.7:  # stroke weight
            k = r.randint(2, 7)
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
            if r.random() < 0.7:
                canvas = cv2.dilate(canvas, kernel)
            else:
                canvas = cv2.erode(canvas, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2, 2)))
        return canvas

    def _emblem(self) -> np.ndarray:
        """Two small round seals one above the other (Germany) or a small shield
        (Slovakia, Czechia) as a faint mask between two groups of characters."""
        r = self.rng
        width = r.randint(18, 36)
        layer = np.zeros((130, width + 16), np.uint8)
        shade = r.randint(70, 170)
        cx, cy = 8 + width // 2, r.randint(45, 58)
        if r.random() < 0.4:
            rad = width // 2 - 1
            cv2.circle(layer, (cx, cy - rad - 2), rad, shade, -1, cv2.LINE_AA)
            cv2.circle(layer, (cx, cy + rad + 2), rad, r.randint(60, 170), -1, cv2.LINE_AA)
        else:
            top, half = cy - int(0.6 * width), int(0.6 * width)
            pts = [[8, top], [8 + width, top], [8 + width, cy], [cx, cy + half], [8, cy]]
            cv2.fillPoly(layer, [np.array(pts, np.int32)], shade, cv2.LINE_AA)
        return layer

    def _chunks(self, text: str, st: Style) -> list[str]:
        """The row split where it prints apart (spaces, a dash kept as a glyph sometimes)."""
        chunks = [c for c in text.replace("·", " · ").split(" ") if c]
        return chunks

    # --- the photograph -------------------------------------------------------------

    def sample(self) -> tuple[np.ndarray, str]:
        r = self.rng
        st = self.style()
        face, boxes, labels = self.plate(st)
        plate = np.asarray(face)[:, :, ::-1].copy()  # BGR
        ph, pw = plate.shape[:2]
        if r.random() < 0.5:  # a frame around the plate (dealer frames)
            t = r.randint(3, 14)
            colour = (
                [r.randint(0, 255)] * 3
                if r.random() < 0.7
                else [r.randint(0, 255) for _ in range(3)]
            )
            extra_top = r.randint(0, 12) if r.random() < 0.4 else 0
            plate = cv2.copyMakeBorder(
                plate, t + extra_top, t + r.randint(0, 18), t, t, cv2.BORDER_CONSTANT, value=colour
            )
            dx, dy = t, t + extra_top
            boxes = [(x + dx, y + dy, w, h) for x, y, w, h in boxes]
            ph, pw = plate.shape[:2]
        # Place on a background larger than the plate.
        margin = 0.6
        bh, bw = int(ph * (1 + 2 * margin)), int(pw * (1 + 2 * margin))
        canvas = self._background(bh, bw)
        ox, oy = int(pw * margin), int(ph * margin)
        canvas[oy : oy + ph, ox : ox + pw] = plate
        # Perspective: move the plate's corners.
        src = np.float32([[ox, oy], [ox + pw, oy], [ox + pw, oy + ph], [ox, oy + ph]])
        jitter = r.uniform(0.0, 0.12) if r.random() < 0.8 else 0.0
        dst = src + self.np_rng.uniform(-jitter, jitter, (4, 2)).astype(np.float32) * np.float32(
            [pw, ph]
        )
        angle = r.gauss(0, 4)
        centre = np.float32([bw / 2, bh / 2])
        rot = cv2.getRotationMatrix2D(tuple(map(float, centre)), angle, 1.0)
        dst = (np.hstack([dst, np.ones((4, 1), np.float32)]) @ rot.T).astype(np.float32)
        matrix = cv2.getPerspectiveTransform(src, dst)
        canvas = cv2.warpPerspective(canvas, matrix, (bw, bh), borderMode=cv2.BORDER_REFLECT)

        def warp_box(box: tuple[int, int, int, int]) -> np.ndarray:
            x, y, w, h = box
            pts = np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])[None]
            return cv2.perspectiveTransform(pts, matrix)[0]

        mode = r.random()
        if len(boxes) == 2 and mode < 0.2:  # one row of a two-row plate, as the finder cuts it
            i = r.randrange(2)
            pts, label = (
                warp_box((boxes[i][0] + ox, boxes[i][1] + oy, boxes[i][2], boxes[i][3])),
                labels[i],
            )
            mode = 0.3  # band-style margins
        elif mode < 0.4 and len(boxes) == 1:  # the row of characters with the reader's margins
            b = boxes[0]
            pts, label = warp_box((b[0] + ox, b[1] + oy, b[2], b[3])), labels[0]
        else:  # the whole plate with a margin
            pts, label = src.copy(), "".join(labels)
            pts = cv2.perspectiveTransform(pts[None], matrix)[0]
            mode = 1.0
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        w, h = x1 - x0, y1 - y0
        if mode < 0.4:
            px, py = r.uniform(0.1, 0.5) * h, r.uniform(0.05, 0.3) * h
        else:
            px, py = r.uniform(-0.03, 0.15) * w, r.uniform(-0.05, 0.25) * h
        x0, x1 = (
            int(max(0, x0 - px * r.uniform(0.5, 1.5))),
            int(min(bw, x1 + px * r.uniform(0.5, 1.5))),
        )
        y0, y1 = (
            int(max(0, y0 - py * r.uniform(0.5, 1.5))),
            int(min(bh, y1 + py * r.uniform(0.5, 1.5))),
        )
        crop = canvas[y0:y1, x0:x1]
        if crop.shape[0] < 4 or crop.shape[1] < 4:
            crop = canvas
        return self._camera(crop), label

    def _background(self, h: int, w: int) -> np.ndarray:
        r = self.rng
        if self.backgrounds and r.random() < 0.7:
            src = r.choice(self.backgrounds)
            sh, sw = src.shape[:2]
            if sh > 8 and sw > 8:
                ch, cw = min(sh, r.randint(20, 200)), min(sw, r.randint(40, 400))
                y, x = r.randrange(0, sh - ch + 1), r.randrange(0, sw - cw + 1)
                return cv2.resize(src[y : y + ch, x : x + cw], (w, h))
        base = np.full((h, w, 3), [r.randint(0, 255) for _ in range(3)], np.uint8)
        noise = self.np_rng.normal(0, r.uniform(2, 30), (h, w, 1))
        return np.clip(base + noise, 0, 255).astype(np.uint8)

    def _camera(self, img: np.ndarray) -> np.ndarray:
        """Blur, low resolution, glare, dirt, night, noise, JPEG; then 48x160 grey."""
        r = self.rng
        img = img.astype(np.float32)
        h, w = img.shape[:2]
        if r.random() < 0.3:  # glare: a bright soft spot
            cy, cx = r.uniform(0, h), r.uniform(0, w)
            yy, xx = np.mgrid[0:h, 0:w]
            sigma = r.uniform(0.1, 0.5) * w
            spot = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))[:, :, None]
            img = img + spot * r.uniform(60, 200)
        if r.random() < 0.3:  # dirt: dark smudges
            for _ in range(r.randint(1, 6)):
                cy, cx, rad = r.uniform(0, h), r.uniform(0, w), r.uniform(2, 0.3 * h)
                mask = np.zeros((h, w), np.float32)
                cv2.circle(mask, (int(cx), int(cy)), int(rad), 1.0, -1)
                mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, rad / 2))[:, :, None]
                img = img * (1 - r.uniform(0.2, 0.6) * mask)
        if r.random() < 0.2:  # shadow across the plate
            x = int(r.uniform(0, w))
            img[:, :x] *= r.uniform(0.3, 0.7)
        if r.random() < 0.25:  # night: dark, grey (infrared) or colour-shifted
            img = img * r.uniform(0.15, 0.5)
            if r.random() < 0.5:
                img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)
        contrast, bright = r.uniform(0.5, 1.3), r.uniform(-40, 40)
        img = (img - 128) * contrast + 128 + bright
        img = np.clip(img, 0, 255).astype(np.uint8)
        if r.random() < 0.5:  # low resolution
            f = r.uniform(0.15, 0.7)
            small = cv2.resize(
                img, (max(8, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_AREA
            )
            img = cv2.resize(
                small,
                (w, h),
                interpolation=r.choice([cv2.INTER_LINEAR, cv2.INTER_NEAREST, cv2.INTER_CUBIC]),
            )
        if r.random() < 0.4:
            k = r.choice([3, 5])
            img = cv2.GaussianBlur(img, (k, k), 0)
        if r.random() < 0.2:  # motion blur
            k = r.randint(3, 9)
            kernel = np.zeros((k, k), np.float32)
            kernel[k // 2, :] = 1.0 / k
            img = cv2.filter2D(img, -1, kernel)
        noise = self.np_rng.normal(0, r.uniform(0, 12), img.shape)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        if r.random() < 0.5:
            _ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, r.randint(15, 90)])
            img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
        return to_input(img)


def to_input(img: np.ndarray) -> np.ndarray:
    """Any BGR or grey crop as the network's input: 48x160 grey uint8 (stretched)."""
    grey = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    h, _w = grey.shape
    interp = cv2.INTER_AREA if h > HEIGHT else cv2.INTER_LINEAR
    return cv2.resize(grey, (WIDTH, HEIGHT), interpolation=interp)


def load_backgrounds(folders: list[Path], limit: int = 300) -> list[np.ndarray]:
    images = []
    for folder in folders:
        for path in sorted(folder.glob("*.jpg"))[:limit]:
            image = cv2.imread(str(path))
            if image is not None:
                images.append(image)
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shard", type=int, default=0)
    parser.add_argument("--backgrounds", type=Path, nargs="*", default=[])
    parser.add_argument("--preview", type=Path, help="also write a PNG sheet of 64 samples")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    renderer = Renderer(args.seed * 1000 + args.shard, load_backgrounds(args.backgrounds))
    images = np.zeros((args.count, HEIGHT, WIDTH), np.uint8)
    labels = []
    for i in range(args.count):
        images[i], label = renderer.sample()
        labels.append(label)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out / f"synth-{args.seed}-{args.shard}.npz", images=images, labels=np.array(labels)
    )
    if args.preview:
        sheet = np.vstack(
            [np.hstack(list(images[r * 4 : r * 4 + 4])) for r in range(min(16, args.count // 4))]
        )
        cv2.imwrite(str(args.preview), sheet)
        print(
            "\n".join(" ".join(labels[r * 4 : r * 4 + 4]) for r in range(min(16, args.count // 4)))
        )


if __name__ == "__main__":
    main()
