"""Plate text helpers: normalising a read and finding the plate inside it was meant to be."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["closest", "edit_distance", "normalize_plate"]


def normalize_plate(value: Any) -> str:
    """`ka-01 ab 1234` -> `KA01AB1234`; anything that is not text gives ''."""
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum())


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; stops early (returning limit + 1) once it must exceed `limit`."""
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def closest(plate: str, inside: Iterable[str], limit: int) -> str | None:
    """The one plate in `inside` within `limit` edits of `plate`, nearest first.

    None when there is none, or when two are equally near: ending the wrong car's
    session would be worse than reporting an exit without entry.
    """
    best: list[tuple[int, str]] = []
    for other in inside:
        distance = edit_distance(plate, other, limit)
        if 0 < distance <= limit:
            best.append((distance, other))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][0] == best[1][0]:
        return None
    return best[0][1]
