"""Templates: hub functions, result parsing, the sandbox, errors and tracking what was read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.template import (
    Template,
    TemplateError,
    async_track_template,
    compile_complex,
    render_complex,
)
from tests.conftest import Clock


def render(hub: Hub, text: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return Template(text, hub).async_render(variables, **kwargs)


async def test_state_functions(hub: Hub) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "12", {"total": 20, "unit_of_measurement": ""})
    hub.states.async_set("gate.entry", "closed", {"last_plate": "KA01AB1234"})
    hub.states.async_set("sensor.broken", "unavailable")

    assert render(hub, "{{ states('sensor.lot_free_spaces') }}") == 12
    assert render(hub, "{{ states('sensor.nope') }}") == "unknown"
    assert render(hub, "{{ states.gate.entry.state }}") == "closed"
    assert render(hub, "{{ states.gate.entry.attributes.last_plate }}") == "KA01AB1234"
    assert render(hub, "{{ states.gate.missing is none }}") is True
    assert render(hub, "{{ is_state('gate.entry', 'closed') }}") is True
    assert render(hub, "{{ is_state('gate.entry', ['open', 'opening']) }}") is False
    assert render(hub, "{{ state_attr('sensor.lot_free_spaces', 'total') }}") == 20
    assert render(hub, "{{ is_state_attr('gate.entry', 'last_plate', 'KA01AB1234') }}") is True
    assert render(hub, "{{ has_value('sensor.broken') }}") is False
    assert render(hub, "{{ has_value('gate.entry') }}") is True
    assert render(hub, "{{ states.gate | map(attribute='entity_id') | list }}") == ["gate.entry"]
    assert render(hub, "{{ states | count }}") == 3
    assert render(hub, "{{ states('sensor.lot_free_spaces') | int + 1 }}") == 13


async def test_variables_and_trigger(hub: Hub) -> None:
    trigger = {"plate": "KA01AB1234", "confidence": 0.93}
    text = "resident {{ trigger.plate }} ({{ (trigger.confidence * 100) | round }}%)"
    assert render(hub, text, {"trigger": trigger}) == "resident KA01AB1234 (93.0%)"


async def test_result_parsing(hub: Hub) -> None:
    assert render(hub, "{{ 1 + 2 }}") == 3
    assert render(hub, "{{ 2.5 }}") == 2.5
    assert render(hub, "{{ 'true' }}") is True
    assert render(hub, "{{ 1 > 2 }}") is False
    assert render(hub, "{{ [1, 'a'] }}") == [1, "a"]
    assert render(hub, "{{ {'a': 1} }}") == {"a": 1}
    assert render(hub, "{{ 'KA01' }}") == "KA01"
    assert render(hub, "{{ '007' }}") == "007"  # a code keeps its zeros
    assert render(hub, "{{ 1 + 2 }}", parse_result=False) == "3"
    assert render(hub, "plain text") == "plain text"
    assert Template("plain", hub).is_static
    assert not Template("{{ 1 }}", hub).is_static


async def test_time_helpers(hub: Hub, clock: Clock) -> None:
    hub.time_zone = await _zone("Europe/Amsterdam")
    assert render(hub, "{{ now().hour }}") == 9  # 08:00 UTC is 09:00 in Amsterdam in March
    assert render(hub, "{{ utcnow().hour }}") == 8
    assert render(hub, "{{ as_timestamp(utcnow()) }}") == clock.now().timestamp()
    assert render(hub, "{{ as_timestamp('2026-03-02T08:00:00+00:00') }}") == (
        datetime(2026, 3, 2, 8, tzinfo=UTC).timestamp()
    )
    assert render(hub, "{{ as_timestamp('garbage', 0) }}") == 0
    assert render(hub, "{{ as_datetime('2026-03-02T09:30:00+01:00').minute }}") == 30
    assert render(hub, "{{ (utcnow() - timedelta(minutes=90)) | relative_time }}") == "1 hour"
    assert render(hub, "{{ as_timedelta('00:05:00').total_seconds() }}") == 300.0
    await clock.advance(minutes=5)
    assert render(hub, "{{ now().minute }}") == 5


async def _zone(name: str) -> Any:
    import asyncio
    from zoneinfo import ZoneInfo

    return await asyncio.to_thread(ZoneInfo, name)


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ ''|attr('__class__') }}",
        "{{ now.__globals__ }}",
        "{{ states.__class__ }}",
        "{{ '{0.__class__}'.format('') }}",
        "{% set x = [] %}{{ x.append(1) }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
async def test_sandbox_refuses_python_internals(hub: Hub, text: str) -> None:
    with pytest.raises(TemplateError) as err:
        render(hub, text)
    message = str(err.value)
    assert text[:20] in message
    assert "unsafe" in message or "not allowed" in message or "refused" in message


async def test_errors_name_the_template_and_the_problem(hub: Hub) -> None:
    with pytest.raises(TemplateError, match=r"template '\{\{ 1 / 0 \}\}': ZeroDivisionError"):
        render(hub, "{{ 1 / 0 }}")
    with pytest.raises(TemplateError, match=r"'trigger' is undefined"):
        render(hub, "{{ trigger.plate }}")
    with pytest.raises(TemplateError, match=r"float got invalid input 'abc'"):
        render(hub, "{{ 'abc' | float }}")
    assert render(hub, "{{ 'abc' | float(0) }}") == 0
    with pytest.raises(TemplateError, match=r"template '\{\{ 1 \+ \}\}': unexpected"):
        Template("{{ 1 + }}", hub).ensure_valid()


async def test_render_info_lists_what_was_read(hub: Hub) -> None:
    hub.states.async_set("gate.entry", "closed")
    text = "{{ is_state('gate.entry', 'open') or states('sensor.x') == '1' }}"
    _, info = Template(text, hub).async_render_with_info()
    assert info.entities == {"gate.entry", "sensor.x"}
    assert not info.all_states
    assert not info.uses_time
    _, info = Template("{{ states.gate | count }} {{ now() }}", hub).async_render_with_info()
    assert info.domains == {"gate"}
    assert info.uses_time


async def test_complex_values(hub: Hub) -> None:
    hub.states.async_set("gate.entry", "closed")
    value = {
        "entity_id": "gate.entry",
        "reason": "plate {{ plate }}",
        "count": "{{ 2 * n }}",
        "list": ["{{ n }}", 5, {"state": "{{ states('gate.entry') }}"}],
    }
    expected = {
        "entity_id": "gate.entry",
        "reason": "plate AB12",
        "count": 6,
        "list": [3, 5, {"state": "closed"}],
    }
    variables = {"plate": "AB12", "n": 3}
    assert render_complex(value, hub, variables) == expected
    compiled = compile_complex(value, hub)
    assert isinstance(compiled["reason"], Template)
    assert compiled["entity_id"] == "gate.entry"
    assert render_complex(compiled, hub, variables) == expected
    with pytest.raises(TemplateError):
        compile_complex({"a": ["{{ oops( }}"]}, hub)


async def test_tracking_rerenders_only_on_what_it_read(hub: Hub) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "3")
    seen: list[tuple[Any, Event | None]] = []
    renders = 0
    template = Template("{{ states('sensor.lot_free_spaces') | int == 0 }}", hub)

    def action(result: Any, event: Event | None) -> None:
        nonlocal renders
        renders += 1
        seen.append((result, event))

    unsubscribe = async_track_template(hub, template, None, action)
    assert seen[0] == (False, None)
    for i in range(20):
        hub.states.async_set(f"sensor.other_{i}", "x")
    assert renders == 1  # other entities cost nothing
    hub.states.async_set("sensor.lot_free_spaces", "0")
    assert seen[-1][0] is True
    assert seen[-1][1] is not None
    assert seen[-1][1].data["entity_id"] == "sensor.lot_free_spaces"
    unsubscribe()
    hub.states.async_set("sensor.lot_free_spaces", "5")
    assert renders == 2


async def test_tracking_follows_a_domain_and_the_clock(hub: Hub, clock: Clock) -> None:
    results: list[Any] = []
    template = Template("{{ states.gate | selectattr('state', 'eq', 'open') | list | count }}", hub)
    unsubscribe = async_track_template(hub, template, None, lambda r, _e: results.append(r))
    hub.states.async_set("gate.entry", "open")
    hub.states.async_set("sensor.unrelated", "1")
    assert results == [0, 1]

    ticks: list[Any] = []
    clock_template = Template("{{ now().minute }}", hub)
    unsubscribe_clock = async_track_template(
        hub, clock_template, None, lambda r, _e: ticks.append(r)
    )
    await clock.advance(minutes=2)
    assert ticks == [0, 1, 2]
    unsubscribe()
    unsubscribe_clock()


async def test_tracking_reports_errors_and_recovers(hub: Hub) -> None:
    results: list[Any] = []
    template = Template("{{ states('sensor.n') | float }}", hub)
    unsubscribe = async_track_template(hub, template, None, lambda r, _e: results.append(r))
    assert isinstance(results[0], TemplateError)  # 'unknown' is not a number
    hub.states.async_set("sensor.n", "4")
    assert results[1] == 4.0
    unsubscribe()
