"""Finding the plate inside that an exit read was meant to be."""

from __future__ import annotations

from collections.abc import Iterable

from hub.plates import edit_distance

__all__ = ["closest"]


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
