"""Finding 6 and 13: no template holds the loop more than 100 ms, nor makes a huge result."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.core.hub import Hub
from hub.template import Template, TemplateError
from hub.template_budget import MAX_RESULT, RENDER_BUDGET, RENDER_WALL_LIMIT

SLACK = 1.0  # seconds of wall-clock slack on a loaded test machine

# The template: 10^8 iterations, 9.5 s of a frozen hub before the budget.
NESTED_RANGES = "{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}done"

# Each of these would run for seconds or build gigabytes in one go without the budget.
RUNAWAYS = [
    pytest.param(NESTED_RANGES, id="nested-ranges"),
    pytest.param(
        "{% set r = range(100000) | list %}{% for i in r %}{% for j in r %}{% endfor %}"
        "{% endfor %}",
        id="loops-over-a-list",
    ),
    pytest.param(
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}",
        id="exponential-macro",
    ),
    pytest.param("{{ ([range(100000)] * 100000) | map('sum') | list }}", id="map-sum"),
    pytest.param("{{ 'x' * 1000000000 }}", id="string-repetition"),
    pytest.param("{{ 3 ** 100000000 }}", id="huge-power"),
    pytest.param("{{ 'x' | center(1000000000) }}", id="padding-filter"),
    pytest.param("{{ 'x'.ljust(1000000000) }}", id="padding-method"),
    pytest.param("{{ '%1000000000d' % 1 }}", id="format-width"),
    pytest.param(
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
        id="doubling-concat",
    ),
    pytest.param(
        "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}"
        "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}",
        id="doubling-list",
    ),
    pytest.param("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", id="100-MB-result"),
]


@pytest.mark.parametrize("text", RUNAWAYS)
async def test_a_runaway_template_is_stopped_within_its_budget(hub: Hub, text: str) -> None:
    started, cpu_started = time.perf_counter(), time.thread_time()
    with pytest.raises(TemplateError) as caught:
        Template(text, hub).async_render()
    took, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    # The render stops at its first check past 100 ms of CPU time (0.5 s of wall-clock
    # time if a busy machine keeps the hub's thread waiting), nowhere near the seconds
    # (or minutes) the template asks for.
    assert cpu < RENDER_BUDGET + 0.05, f"used {cpu:.3f} s of CPU"
    # Wall-clock: the 0.5 s limit, plus slack for a machine so busy it keeps this
    # process waiting right at the end (the full suite beside other jobs on 2 cores).
    assert took < RENDER_WALL_LIMIT + SLACK, f"took {took:.3f} s"
    message = str(caught.value)
    assert message.startswith(f"template {text[:40]!r}"[:-1]), message  # names the template
    assert any(
        words in message
        for words in ("ms and was stopped", "limit", "too large", "longer than", "million")
    ), message


async def test_the_hub_keeps_serving_while_a_runaway_template_is_refused(hub: Hub) -> None:
    """A timer due during the render fires right after it, not 9.5 s later."""
    loop = asyncio.get_running_loop()
    fired = loop.create_future()
    due = time.perf_counter()
    loop.call_soon(lambda: fired.set_result(time.perf_counter()))
    with pytest.raises(TemplateError, match="was stopped"):
        Template(NESTED_RANGES, hub).async_render()
    assert await fired - due < RENDER_WALL_LIMIT + SLACK  # the issue saw 9.5 s
    # And the same template environment renders ordinary templates afterwards.
    assert Template("{{ 1 + 1 }}", hub).async_render() == 2


async def test_ordinary_work_is_within_budget(hub: Hub) -> None:
    """The guards do not get in the way of real templates."""
    for n in range(50):
        hub.states.async_set(f"binary_sensor.lot_slot_{n}", "on" if n % 3 else "off")
    text = (
        "{{ states.binary_sensor | selectattr('state', 'eq', 'on') | list | count }} of "
        "{{ states.binary_sensor | count }}; {{ 'plate %s' % 'KA01' }} {{ 'ab' * 3 }} "
        "{{ [1] + [2] }} {{ 2 ** 10 }} {{ '{:>5}'.format('x') }} {{ 'x' | center(9) }}"
        "{% for i in range(10000) %}{% endfor %}{{ 'a' ~ 'b' }}"
    )
    assert Template(text, hub).async_render() == (
        "33 of 50; plate KA01 ababab [1, 2] 1024     x     x    ab"
    )


async def test_a_result_at_the_limit_is_fine_one_over_is_not(hub: Hub) -> None:
    ok = Template(f"{{{{ 'x' * {MAX_RESULT} }}}}", hub).async_render()
    assert len(ok) == MAX_RESULT
    text = "{% for i in range(2) %}{{ 'x' * " + str(MAX_RESULT // 2 + 1) + " }}{% endfor %}"
    with pytest.raises(TemplateError, match="longer than"):
        Template(text, hub).async_render()
