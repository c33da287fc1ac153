"""Purge: forget states and events older than `keep_days`, and statistics older than a year.

Each entity's newest state is kept however old it is (unless it is a removal): a sensor that
has not changed for two weeks still has a current state, and dropping it would lose it from
the restore cache after the next restart and from the start of every history window.
"""

from __future__ import annotations

import logging
from typing import Final

from hub.database import Database

from .schema import last_state_id

__all__ = ["async_purge"]

_LOGGER = logging.getLogger(__name__)

# NOT IN with a NULL inside matches nothing, hence the `IS NOT NULL` guards.
_DELETE_OLD_STATES: Final = f"""
DELETE FROM states WHERE last_updated_ts < :cutoff
  AND metadata_id IN (SELECT metadata_id FROM states_meta WHERE node = :node)
  AND state_id NOT IN (
    SELECT latest FROM (
        SELECT ({last_state_id()}) AS latest FROM states_meta m WHERE m.node = :node
    ) AS newest
    WHERE latest IS NOT NULL)
"""
_DELETE_OLD_REMOVALS: Final = """
DELETE FROM states WHERE last_updated_ts < :cutoff AND state IS NULL
  AND metadata_id IN (SELECT metadata_id FROM states_meta WHERE node = :node)
"""
_DELETE_ORPHAN_META: Final = """
DELETE FROM states_meta WHERE node = :node AND metadata_id NOT IN (SELECT metadata_id FROM states)
"""
_DELETE_ORPHAN_ATTRIBUTES: Final = """
DELETE FROM state_attributes WHERE attributes_id NOT IN (
    SELECT attributes_id FROM states WHERE attributes_id IS NOT NULL)
"""
_DELETE_OLD_EVENTS: Final = "DELETE FROM events WHERE node = :node AND time_fired_ts < :cutoff"
_DELETE_OLD_STATISTICS: Final = (
    "DELETE FROM statistics WHERE node = :node AND start_ts < :stats_cutoff"
)
_DELETE_OLD_RUNS: Final = (
    "DELETE FROM statistics_runs WHERE node = :node AND start_ts < :stats_cutoff"
)


async def async_purge(db: Database, node: str, cutoff: float, stats_cutoff: float) -> int:
    """Delete what is older than the cutoffs, in one transaction; returns rows deleted.

    Attribute blobs and entity ids no state refers to any more go too, so the caller
    must drop its caches of both afterwards.
    """
    params = {"node": node, "cutoff": cutoff, "stats_cutoff": stats_cutoff}
    deleted = 0
    async with db.transaction():
        for statement in (
            _DELETE_OLD_STATES,
            _DELETE_OLD_REMOVALS,
            _DELETE_ORPHAN_META,
            _DELETE_ORPHAN_ATTRIBUTES,
            _DELETE_OLD_EVENTS,
            _DELETE_OLD_STATISTICS,
            _DELETE_OLD_RUNS,
        ):
            deleted += await db.execute(statement, params)
    _LOGGER.debug("Purged %d rows older than %s", deleted, cutoff)
    return deleted
