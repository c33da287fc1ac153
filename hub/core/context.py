"""Context: who or what caused a change, chained so the panel can explain it."""

from __future__ import annotations

import random
import time
from typing import Any

__all__ = ["Context", "new_id"]


def new_id() -> str:
    """Return a 128-bit id, 48 bits of milliseconds then 80 random, as 32 hex digits.

    Like a ULID it sorts by creation time, so ids also order the history they label; hex
    rather than Crockford base32 because formatting an int as hex is one C call, and this
    sits on the hot path of every state change. `getrandbits` rather than `os.urandom`:
    ids need uniqueness, not secrecy.
    """
    return f"{(int(time.time() * 1000) << 80) | random.getrandbits(80):032x}"


class Context:
    """The cause of an event or state: a user, an automation run, or another context.

    `parent_id` links "gate opened" to "plate read" to "camera saw a car". Treated as
    immutable; a plain slotted class because a frozen dataclass costs twice as much to
    build, and one is built for every state change.
    """

    __slots__ = ("id", "parent_id", "user_id")

    def __init__(
        self, user_id: str | None = None, parent_id: str | None = None, id: str | None = None
    ) -> None:
        self.id = id or new_id()
        self.parent_id = parent_id
        self.user_id = user_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Context) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Context {self.id} parent={self.parent_id} user={self.user_id}>"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "parent_id": self.parent_id, "user_id": self.user_id}

    def child(self, user_id: str | None = None) -> Context:
        """A new context caused by this one."""
        return Context(user_id=user_id or self.user_id, parent_id=self.id)
