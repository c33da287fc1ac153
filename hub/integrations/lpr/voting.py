"""One vehicle pass: the reads of one car, voted into one plate.

A car in view gives a read per frame, and OCR slips now and then (`KA01AB1284` among
`KA01AB1234`s). Reads within a small edit distance are one plate: they form a cluster,
and the text with the most support (count, then summed confidence) is its plate. The
vote is *confident*, and reported at once, when two reads agree exactly and one of them
shows the whole plate, or when one read fits one of the lot's own formats (not the
catch-all `any`) and is very confident: `VOTE_CONFIDENT` for a whole plate, `VOTE_SURE`
for a plate cut by the edge of the picture (a car driving into view shows its plate
bottom-first, and a cut E, L or B reads as F, I or P with a good score; such misreads
even agree with each other, so cut reads alone never make agreement).
After that the pass only absorbs further reads of its plate; reads of a clearly
different plate that agree with each other mean another car, and start a new pass.
A pass that ends without a confident vote reports its best plate then (`close`).

Pure logic and no clock of its own: the caller says when each read happened and when
the pass is over, so tests feed it reads directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.plates import edit_distance

from .const import (
    CANDIDATES_MAX,
    VOTE_CONFIDENT,
    VOTE_MIN_AGREEING,
    VOTE_SIMILAR_DISTANCE,
    VOTE_SURE,
)
from .formats import ONE_KIND_FORMATS
from .reader import PlateRead

__all__ = ["Candidate", "PassVoter", "Vote"]

# Formats too loose for one read to be trusted alone.
_LOOSE_FORMATS = frozenset({"", "any", *ONE_KIND_FORMATS})  # letters or digits alone
# A plate reported at pass end must at least be this believable.
_MIN_CLOSING_CONFIDENCE = 0.5


@dataclass(slots=True)
class _Seen:
    """One frame's read, and what the voter needs to report it."""

    read: PlateRead
    at: float
    frame: Any  # the image the read came from (for the snapshot); not drawn on
    cut: bool = False  # the plate box touches the edge of the picture: maybe not whole


@dataclass(slots=True)
class _Cluster:
    texts: dict[str, list[_Seen]] = field(default_factory=dict)

    def add(self, seen: _Seen) -> None:
        self.texts.setdefault(seen.read.text, []).append(seen)

    @property
    def plate(self) -> str:
        return max(self.texts, key=lambda text: _support(self.texts[text]))

    @property
    def score(self) -> tuple[int, float]:
        members = [seen for reads in self.texts.values() for seen in reads]
        return (len(members), sum(seen.read.confidence for seen in members))

    def distance(self, text: str) -> int:
        return edit_distance(text, self.plate, VOTE_SIMILAR_DISTANCE)


def _support(reads: list[_Seen]) -> tuple[int, int, float]:
    """Reads of the whole plate first (a cut plate's misreads can outnumber them while a
    car drives into view), then all reads, then their summed confidence."""
    whole = sum(not seen.cut for seen in reads)
    return (whole, len(reads), sum(seen.read.confidence for seen in reads))


@dataclass(frozen=True, slots=True)
class Candidate:
    plate: str
    confidence: float
    votes: int

    def as_dict(self) -> dict[str, Any]:
        return {"plate": self.plate, "confidence": self.confidence, "votes": self.votes}


@dataclass(frozen=True, slots=True)
class Vote:
    """The pass's plate: its mean confidence and vote count, the best read of it (box,
    frame, time), and the runners-up."""

    plate: str
    confidence: float
    votes: int
    best: PlateRead
    frame: Any
    first_at: float  # when the pass's first read was taken
    at: float  # when the best read was taken
    candidates: list[Candidate]


class PassVoter:
    """Collects one camera's reads into passes and says when a pass has its plate."""

    def __init__(self) -> None:
        self._clusters: list[_Cluster] = []
        self._fired: str | None = None
        self._next: list[_Cluster] = []  # another car's reads, after this pass fired
        self.last_read_at: float | None = None

    @property
    def is_open(self) -> bool:
        return bool(self._clusters) or self._fired is not None

    @property
    def fired(self) -> str | None:
        """The plate this pass reported, if it has."""
        return self._fired

    def add(
        self, read: PlateRead, at: float, frame: Any = None, *, cut: bool = False
    ) -> Vote | None:
        """Count one read; returns the pass's vote when this read made it confident.
        `cut`: the read's plate box touches the edge of the picture (maybe not whole)."""
        self.last_read_at = at
        seen = _Seen(read, at, frame, cut)
        if self._fired is not None:
            if edit_distance(read.text, self._fired, VOTE_SIMILAR_DISTANCE) <= (
                VOTE_SIMILAR_DISTANCE
            ):
                return None  # the same car, still in view
            cluster = _join(self._next, seen)
            if not _agreeing(cluster):
                return None
            # Another car: its reads open a new pass.
            self._clusters, self._next, self._fired = self._next, [], None
            return self._decide(force=False)
        _join(self._clusters, seen)
        return self._decide(force=False)

    def close(self) -> Vote | None:
        """End the pass: its best plate if it never became confident (else None)."""
        vote = None if self._fired is not None else self._decide(force=True)
        self._clusters, self._next, self._fired = [], [], None
        self.last_read_at = None
        return vote

    def decide_now(self) -> Vote | None:
        """Report the best plate so far without waiting for agreement (`lpr.scan`)."""
        return None if self._fired is not None else self._decide(force=True)

    def _first_at(self) -> float:
        return min(
            seen.at
            for cluster in self._clusters
            for reads in cluster.texts.values()
            for seen in reads
        )

    def _decide(self, force: bool) -> Vote | None:
        if not self._clusters:
            return None
        ranked = sorted(self._clusters, key=lambda cluster: cluster.score, reverse=True)
        winner = ranked[0]
        plate = winner.plate
        reads = winner.texts[plate]
        # The snapshot and box come from the best read of the whole plate, if any.
        best = max(reads, key=lambda seen: (not seen.cut, seen.read.confidence))
        confident = any(_trusted_alone(seen) for seen in reads) or (
            len(reads) >= VOTE_MIN_AGREEING and any(not seen.cut for seen in reads)
        )
        confidence = sum(seen.read.confidence for seen in reads) / len(reads)
        if not confident and not (force and confidence >= _MIN_CLOSING_CONFIDENCE):
            return None
        self._fired = plate
        others = [
            Candidate(text, _mean(seen_list), len(seen_list))
            for cluster in ranked
            for text, seen_list in cluster.texts.items()
            if text != plate
        ]
        others.sort(key=lambda c: (c.votes, c.confidence), reverse=True)
        return Vote(
            plate=plate,
            confidence=round(confidence, 3),
            votes=len(reads),
            best=best.read,
            frame=best.frame,
            first_at=min(
                seen.at for cluster in self._clusters for r in cluster.texts.values() for seen in r
            ),
            at=best.at,
            candidates=others[:CANDIDATES_MAX],
        )


def _trusted_alone(seen: _Seen) -> bool:
    if seen.read.format in _LOOSE_FORMATS:
        return False
    return seen.read.confidence >= (VOTE_SURE if seen.cut else VOTE_CONFIDENT)


def _mean(reads: list[_Seen]) -> float:
    return round(sum(seen.read.confidence for seen in reads) / len(reads), 3)


def _join(clusters: list[_Cluster], seen: _Seen) -> _Cluster:
    """Put a read in the nearest similar cluster, or a new one; returns its cluster."""
    best: _Cluster | None = None
    best_distance = VOTE_SIMILAR_DISTANCE + 1
    for cluster in clusters:
        distance = cluster.distance(seen.read.text)
        if distance < best_distance:
            best, best_distance = cluster, distance
    if best is None:
        best = _Cluster()
        clusters.append(best)
    best.add(seen)
    return best


def _agreeing(cluster: _Cluster) -> bool:
    return any(len(reads) >= VOTE_MIN_AGREEING for reads in cluster.texts.values())
