"""Plate text as every part of the hub compares it: the reader, the lists, parking.

One definition, so a plate the reader reports, a list entry an owner typed and a session
an attendant started by hand all agree on what "the same plate" means.
"""

from __future__ import annotations

from typing import Any

__all__ = ["edit_distance", "normalize_plate"]


def normalize_plate(value: Any) -> str:
    """`ka-01 ab 1234` -> `KA01AB1234`: upper case, A-Z0-9 only; not text gives ''."""
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum())


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance (insert, delete or replace one character: 1 each).

    With `limit`, returns `limit + 1` as soon as the distance must exceed it: plates are
    short, but a lot may list thousands of them.
    """
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
