"""Plate formats: what a lot's plates look like, used to fix look-alikes and drop non-plates.

OCR confuses letters and digits that look alike (O/0, I/1, B/8, S/5, Z/2). A format says
which positions hold letters and which digits, so a read like `KAO1AB1Z34` becomes
`KA01AB1234`. Text that fits no format at all (a timestamp, a sign, a sticker) is not a
plate. A format is a preset name or a regular expression over A-Z0-9.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Final

import voluptuous as vol

from hub.plates import normalize_plate

# Presets for `formats:`; anything else in the list is taken as a regular expression.
PRESETS: Final[dict[str, str]] = {
    # India: state, district, series, number (KA01AB1234, DL3CAB1234).
    "in": r"[A-Z]{2}[0-9]{1,2}[A-Z]{0,3}[0-9]{4}",
    # United Kingdom current style (AB12CDE); the demo lot's visitors carry these.
    "uk": r"[A-Z]{2}[0-9]{2}[A-Z]{3}",
    # Brazil, old (ABC1234) and Mercosul (ABC1D23).
    "br": r"[A-Z]{3}[0-9][A-Z0-9][0-9]{2}",
    # Argentina, old (ABC123) and Mercosul (AB123CD).
    "ar": r"[A-Z]{3}[0-9]{3}|[A-Z]{2}[0-9]{3}[A-Z]{2}",
    # European, loosely (DE B-AB 1234, FR AB-123-CD, NL 12-ABC-3, PL WA 56660, ...): 5 to
    # 8 letters and digits with both, starting with a letter or digit.
    "eu": r"(?=[A-Z0-9]*[0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{5,8}",
    # United States, the common state series (1ABC234, ABC1234, ABC123, 123ABC, AB12345).
    "us": r"[0-9][A-Z]{3}[0-9]{3}|[A-Z]{3}[0-9]{3,4}|[0-9]{3}[A-Z]{3}|[A-Z]{2}[0-9]{5}",
    # China without the province's Chinese character (A46E18, AD12345 for new energy).
    "cn": r"[A-Z][A-Z0-9]{5,6}",
    # Any plate: 4 to 10 letters and digits with at least one of each (India's run to 10,
    # Russia's to 9 with a three-digit region). A catch-all does not fix look-alikes (it
    # has no positions to go by).
    "any": r"(?=[A-Z0-9]*[0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4,10}",
}
# Catch-alls: matched as read, without look-alike swaps.
_NO_SWAPS: Final = frozenset({"any", "eu"})
# Plates of one kind of character, this many: vanity plates of letters alone (GWAGEN,
# BIMMIAN) and number plates of digits alone (Israel's 1234567, some US series). A lot
# with a catch-all takes them only when nothing fits a format (`PlateFormats.fit_word`),
# as signs, stickers and phone numbers read so too.
_WORD: Final = re.compile(r"[A-Z]{5,8}")
_NUMBER: Final = re.compile(r"[0-9]{5,8}")
# The format names such reads report, and both together.
WORD_FORMAT: Final = "word"
NUMBER_FORMAT: Final = "number"
ONE_KIND_FORMATS: Final = frozenset({WORD_FORMAT, NUMBER_FORMAT})
# Text that cleans to something plate-like but is a clock or a date: 12:30:45, 12.30,
# 2026-11-22, 22/11/2026. Checked on the raw text, before cleaning drops the separators.
_NOT_PLATES: Final = re.compile(
    r"(?<![0-9])[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?![0-9])"  # 12:30:45
    r"|^\W*[0-9]{1,2}[:.][0-9]{2}\W*$"  # 12:30 alone (a plate's 2:57 between stickers stays)
    r"|(?<![0-9])[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}(?![0-9])"  # 2026-11-22
    r"|(?<![0-9])[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}(?![0-9])"  # 22/11/2026
)

# Each look-alike pair, both ways.
_LOOKALIKES: Final[dict[str, str]] = {
    "O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B",
    "S": "5", "5": "S", "Z": "2", "2": "Z",
}  # fmt: skip
# Enough for any real plate, small enough that trying every fix stays cheap (2**10 tries).
_MAX_SWAPS: Final = 10


@dataclass(frozen=True, slots=True)
class PlateFormat:
    """One named pattern that a whole plate must match."""

    name: str
    pattern: re.Pattern[str]
    swaps: bool = True  # fix look-alikes by position to fit


class PlateFormats:
    """An ordered list of formats: the first that fits wins, with the fewest swaps.

    Order matters: list the lot's own format first and a catch-all like `any` last.
    """

    def __init__(self, formats: list[PlateFormat]) -> None:
        self.formats = formats

    @classmethod
    def from_config(cls, names: list[str]) -> PlateFormats:
        return cls([_compile(name) for name in names])

    def fit(self, text: str) -> tuple[str, str] | None:
        """The plate and its format's name, after fixing look-alikes; None: not a plate.

        With no formats configured every cleaned text is returned as it is.
        """
        plate = normalize_plate(text)
        if not self.formats:
            return (plate, "") if plate else None
        if not plate or _NOT_PLATES.search(text):
            return None
        positions = [i for i, char in enumerate(plate) if char in _LOOKALIKES][:_MAX_SWAPS]
        for plate_format in self.formats:
            for swaps in range(len(positions) + 1 if plate_format.swaps else 1):
                for chosen in itertools.combinations(positions, swaps):
                    chars = list(plate)
                    for i in chosen:
                        chars[i] = _LOOKALIKES[chars[i]]
                    candidate = "".join(chars)
                    if plate_format.pattern.fullmatch(candidate):
                        return candidate, plate_format.name
        return None

    def fit_word(self, text: str) -> tuple[str, str] | None:
        """A vanity plate (5 to 8 letters, no digit) or a number plate (5 to 8 digits)
        when the lot lists the catch-all `any`; None otherwise. Callers use it only when
        no read fits a format: a sign's word or a sticker's number reads the same way."""
        if not any(f.name.lower() == "any" for f in self.formats):
            return None
        plate = normalize_plate(text)
        if any(char.islower() for char in text) or _NOT_PLATES.search(text):
            return None
        if _WORD.fullmatch(plate):
            return plate, WORD_FORMAT
        if _NUMBER.fullmatch(plate):
            return plate, NUMBER_FORMAT
        return None


def _compile(name: str) -> PlateFormat:
    source = PRESETS.get(name.lower(), name)
    try:
        return PlateFormat(name, re.compile(source), name.lower() not in _NO_SWAPS)
    except re.error as err:
        raise vol.Invalid(
            f"plate format {name!r} is neither a preset ({', '.join(PRESETS)}) "
            f"nor a valid regular expression: {err}"
        ) from err


def plate_formats(value: Any) -> list[str]:
    """Voluptuous validator for a `formats:` list: presets or regular expressions."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise vol.Invalid("expected a list of plate formats (preset names or regexes)")
    for item in value:
        _compile(item)
    return list(value)
