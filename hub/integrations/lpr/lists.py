"""Allow and block lists: which list a plate is on, now, allowing for OCR slips.

Entries come from config.yaml (read-only) and from the database (`store.py`, managed by
services and the REST API). A plate matches an entry within the list's `max_distance`
(edit distance), while the entry is valid (`valid_from` <= now < `valid_until`).

When several entries match: the closest wins (an exact match beats a fuzzy one), and at
equal distance a block list beats an allow list. A banned car is never let in because
an allow list also happens to hold it (or something one character away from it).

The fuzzy search runs in rapidfuzz's C++ (the same Levenshtein distance as
`hub.plates.edit_distance`, with its cutoff), on a plate list kept per list and rebuilt
only after a change: 10,000 entries cost well under a millisecond a read on the loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from .const import KIND_BLOCK

__all__ = ["ListEntry", "ListMatch", "ListSpec", "PlateLists"]


@dataclass(frozen=True, slots=True)
class ListSpec:
    """One configured list: its name, allow or block, and how fuzzy its matching is."""

    name: str
    kind: str
    max_distance: int


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One plate on one list, with an optional note and validity window."""

    list: str
    plate: str
    note: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    source: str = "yaml"  # yaml (read-only) or db

    def valid_at(self, now: datetime) -> bool:
        if self.valid_from is not None and now < self.valid_from:
            return False
        return self.valid_until is None or now < self.valid_until

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "list": self.list,
            "plate": self.plate,
            "note": self.note,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "source": self.source,
        }
        if now is not None:
            data["active"] = self.valid_at(now)
        return data


@dataclass(frozen=True, slots=True)
class ListMatch:
    """The entry a plate matched, how far the read was from it, and the list's kind."""

    entry: ListEntry
    kind: str
    distance: int


class PlateLists:
    """Every list and its entries; YAML entries shadow database ones with the same plate."""

    def __init__(self, specs: Iterable[ListSpec]) -> None:
        self.specs: dict[str, ListSpec] = {spec.name: spec for spec in specs}
        self._entries: dict[str, dict[str, ListEntry]] = {name: {} for name in self.specs}
        # Each list's plates as one list for rapidfuzz; dropped on change, rebuilt on read.
        self._choices: dict[str, list[str]] = {}

    def add(self, entry: ListEntry) -> None:
        """Add or replace an entry; a database entry never replaces a YAML one."""
        entries = self._entries[entry.list]
        existing = entries.get(entry.plate)
        if existing is not None and existing.source == "yaml" and entry.source != "yaml":
            return
        entries[entry.plate] = entry
        self._choices.pop(entry.list, None)

    def remove(self, list_name: str, plate: str) -> ListEntry | None:
        self._choices.pop(list_name, None)
        return self._entries[list_name].pop(plate, None)

    def get(self, list_name: str, plate: str) -> ListEntry | None:
        return self._entries[list_name].get(plate)

    def entries(self, list_name: str) -> list[ListEntry]:
        return sorted(self._entries[list_name].values(), key=lambda entry: entry.plate)

    def match(self, plate: str, now: datetime) -> ListMatch | None:
        """The best valid entry for a read plate, or None when it is on no list."""
        best: ListMatch | None = None
        for name, spec in self.specs.items():
            entries = self._entries[name]
            candidates: Iterable[tuple[ListEntry, int]]
            if spec.max_distance == 0:
                exact = entries.get(plate)
                candidates = ((exact, 0),) if exact is not None else ()
            else:
                candidates = self._near(name, plate, spec.max_distance)
            for entry, distance in candidates:
                if not entry.valid_at(now):
                    continue
                found = ListMatch(entry, spec.kind, distance)
                if best is None or _rank(found) < _rank(best):
                    best = found
        return best

    def _near(self, name: str, plate: str, max_distance: int) -> list[tuple[ListEntry, int]]:
        """Every entry of list `name` within `max_distance` edits of `plate`."""
        choices = self._choices.get(name)
        if choices is None:
            choices = self._choices[name] = list(self._entries[name])
        entries = self._entries[name]
        found = extract(
            plate, choices, scorer=Levenshtein.distance, score_cutoff=max_distance, limit=None
        )
        return [(entries[choice], int(distance)) for choice, distance, _ in found]


def _rank(found: ListMatch) -> tuple[int, int, str]:
    """Closest first; at equal distance block before allow; then by list name, for a stable
    answer."""
    return (found.distance, 0 if found.kind == KIND_BLOCK else 1, found.entry.list)
