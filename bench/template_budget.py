"""What the template render budget costs ordinary templates, and how fast it stops a
runaway one.

    python bench/template_budget.py                         # this tree
    PYTHONPATH=/path/to/other/tree python bench/template_budget.py   # another, to compare

Prints one JSON object: `render_us` (median microseconds per render of four everyday
templates: a state read, an automation message, a loop over 50 slots, a filter chain;
7 runs of 2,000 renders each), and, where the tree has the budget, `runaway` (the
issue's nested `range(100000)`/`range(1000)` loops: the wall-clock and CPU seconds until
the render is refused, and the error).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.template import Template, TemplateError

TEXTS = {
    "state": "{{ states('sensor.lot_free_spaces') | int + 1 }}",
    "message": "resident {{ trigger.plate }} ({{ (trigger.confidence * 100) | round }}%)",
    "loop_50": "{% for s in states.binary_sensor %}{{ s.entity_id ~ ':' ~ s.state }},{% endfor %}",
    "filters": "{{ states.binary_sensor | selectattr('state', 'eq', 'on') | list | count }}",
}
RUNAWAY = "{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        hub = Hub(HubConfig(), config_dir=Path(folder), data_dir=Path(folder))
        hub.states.async_set("sensor.lot_free_spaces", "12")
        for n in range(50):
            hub.states.async_set(f"binary_sensor.lot_slot_{n}", "on" if n % 3 else "off")
        variables = {"trigger": {"plate": "KA01AB1234", "confidence": 0.93}}
        templates = {name: Template(text, hub) for name, text in TEXTS.items()}
        runs: dict[str, list[float]] = {name: [] for name in TEXTS}
        for _ in range(7):
            for name, template in templates.items():  # interleaved: same machine load
                template.async_render(variables)
                started = time.perf_counter()
                for _ in range(2000):
                    template.async_render(variables)
                runs[name].append((time.perf_counter() - started) / 2000 * 1e6)
        result: dict[str, Any] = {
            "render_us": {name: round(statistics.median(r), 1) for name, r in runs.items()}
        }
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            Template(RUNAWAY, hub).async_render()
            error = None  # a tree without the budget renders it to the end
        except TemplateError as err:
            error = str(err)
        result["runaway"] = {
            "wall_s": round(time.perf_counter() - started, 3),
            "cpu_s": round(time.thread_time() - cpu, 3),
            "error": error,
        }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
