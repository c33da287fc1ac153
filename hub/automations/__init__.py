"""The automation engine: triggers, conditions and actions in Home Assistant's YAML shape.

`schema.py` checks the YAML, `triggers/` attaches what starts a run, `conditions.py` and
`actions.py` build what a run checks and does, `automation.py` is one automation (an entity
with its mode), `trace.py` keeps what each run did, and `manager.py` loads, reloads and
serves them. The `automation` integration (hub/integrations/automation) wires it in.
"""

from __future__ import annotations

from .actions import Script
from .automation import AutomationEntity
from .const import DOMAIN, EVENT_AUTOMATION_TRIGGERED
from .manager import AutomationManager, async_setup_automations
from .schema import AUTOMATION_SCHEMA, AUTOMATIONS_SCHEMA
from .trace import Trace, TraceStore

__all__ = [
    "AUTOMATIONS_SCHEMA",
    "AUTOMATION_SCHEMA",
    "DOMAIN",
    "EVENT_AUTOMATION_TRIGGERED",
    "AutomationEntity",
    "AutomationManager",
    "Script",
    "Trace",
    "TraceStore",
    "async_setup_automations",
]
