"""Reading an entity's state in a test, when the test expects the entity to exist."""

from __future__ import annotations

from hub.core.hub import Hub
from hub.core.states import State

__all__ = ["get_state"]


def get_state(hub: Hub, entity_id: str) -> State:
    """The entity's current state; a missing entity fails the test by name.

    `hub.states.get` returns None for an unknown entity, and `.state` on that would fail
    with an AttributeError about NoneType instead of naming the entity that is missing.
    """
    state = hub.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state
