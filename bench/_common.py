"""What every benchmark reports besides its own figures. Stdlib only: the Home Assistant
side imports it from its own virtualenv."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
