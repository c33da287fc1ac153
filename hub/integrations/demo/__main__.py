"""`python -m hub.integrations.demo`: write the demo lot's slots.yaml from its layout."""

from __future__ import annotations

from .layout import SLOTS_FILE, slots_yaml

if __name__ == "__main__":
    SLOTS_FILE.write_text(slots_yaml(), encoding="utf-8")
    print(f"wrote {SLOTS_FILE}")
