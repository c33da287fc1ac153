"""`parkhub eval lpr --lists`: what a read means at the barrier, not only whether it is exact.

A lot lets a car in when its read matches an allow-list entry within the list's edit
distance (`lists.py`). So the figures that decide the barrier are:

- resident recall: the car is listed, and its read matches its own entry;
- false opens: the read matches another car's entry (with every true plate listed);
- stranger opens: with the car's own entry taken off the list, the read still matches
  some entry (a visitor let in as a resident).

The list holds every true plate of the set plus `OTHERS` plates made like them (each a
true plate with every letter and digit redrawn at random, seeded): a real lot's list is
full of plates of the lot's own country, and a fuzzy match confuses those, not others.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime
from typing import Any, Final

from .const import KIND_ALLOW
from .lists import ListEntry, ListSpec, PlateLists

# How many plates besides the set's own the allow list holds.
OTHERS: Final = 1000
SEED: Final = 17
_LIST: Final = "residents"


def other_plates(true_plates: list[str], count: int = OTHERS, seed: int = SEED) -> list[str]:
    """`count` plates shaped like the true ones (letter for letter, digit for digit), none
    of them a true plate; the same for the same input."""
    rng = random.Random(seed)
    shapes = sorted(set(true_plates))
    taken = set(shapes)
    others: list[str] = []
    while shapes and len(others) < count:
        shape = rng.choice(shapes)
        plate = "".join(
            rng.choice(string.digits)
            if char.isdigit()
            else rng.choice(string.ascii_uppercase)
            if char.isalpha()
            else char
            for char in shape
        )
        if plate not in taken:
            taken.add(plate)
            others.append(plate)
    return others


def list_figures(reads: list[tuple[str, str]], max_distance: int) -> dict[str, Any]:
    """Resident recall, false and stranger opens over (true plate, read) pairs."""
    truths = [truth for truth, _ in reads]
    others = other_plates(truths)
    now = datetime.now(UTC)
    lists = PlateLists([ListSpec(_LIST, KIND_ALLOW, max_distance)])
    for plate in [*set(truths), *others]:
        lists.add(ListEntry(_LIST, plate))
    right = wrong = stranger = 0
    for truth, read in reads:
        if not read:
            continue
        found = lists.match(read, now)
        if found is not None and found.entry.plate == truth:
            right += 1
        elif found is not None:
            wrong += 1
        own = lists.remove(_LIST, truth)
        stranger += lists.match(read, now) is not None
        if own is not None:
            lists.add(own)
    count = max(1, len(reads))
    return {
        "max_distance": max_distance,
        "list_size": len(set(truths)) + len(others),
        "resident_recall": round(right / count, 4),
        "false_open_rate": round(wrong / count, 4),
        "stranger_open_rate": round(stranger / count, 4),
    }
