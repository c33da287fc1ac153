"""Templates: sandboxed Jinja2 with the hub's states, clock and helpers.

`Template(text, hub).async_render(variables)` renders on the loop (the `async_` prefix
means "call from the loop", as in Home Assistant: it is a plain function, not a coroutine).
With `parse_result` (the default) the text that comes out becomes the value it spells:
`"3"` -> 3, `"true"` -> True, `"[1, 2]"` -> a list; anything else stays a string.

Rendering runs in `jinja2.sandbox.ImmutableSandboxedEnvironment`: no underscore attributes,
no mutating methods, no `str.format` escapes. Reaching for Python internals
(`{{ ''.__class__.__mro__ }}`) is refused with a TemplateError rather than rendered as an
empty string. Every error comes out as `TemplateError` naming the template text and what
went wrong; callers (automations) add their own name and keep running.

Each render records what it read (`RenderInfo`: entity ids, domains, all states, the
clock), and `async_track_template` uses that to re-render only when one of those entities
changes: a template trigger watching `sensor.lot_free_spaces` costs nothing on any other
state change.

Config validation keeps templates as strings: `hub.validation.template` checks the syntax at
load time (there is no hub yet then) and returns the text; whoever sets up with a hub turns
the strings into `Template` objects (`compile_complex`) once, and `render_complex` renders
those, or plain strings, inside nested dicts and lists.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_STATE_CHANGED
from hub.core.exceptions import HubError

from .template_budget import (
    BUDGET_FILTER,
    CONCAT_FILTER,
    MAX_RESULT,
    BudgetExceeded,
    add_budget_checks,
    check_call,
    deadline_var,
    guarded_binop,
    guarded_concat,
    guarded_iter,
    new_deadline,
    wrap_callables,
)
from .template_helpers import RenderInfo, collect_into, hub_filters, hub_functions, reset_collector

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "RenderInfo",
    "Template",
    "TemplateError",
    "async_track_template",
    "compile_complex",
    "is_template_string",
    "render_complex",
]

_LOGGER = logging.getLogger(__name__)

_ENV_KEY: Final = "template_environment"
_CACHE_SIZE: Final = 4096
_SHOWN_TEXT: Final = 120
# A template that reads the clock is re-rendered this often while tracked.
TIME_RERENDER: Final = timedelta(minutes=1)


class TemplateError(HubError):
    """A template could not be compiled or rendered; the message names the template."""

    def __init__(self, text: str, error: str) -> None:
        shown = text if len(text) <= _SHOWN_TEXT else text[: _SHOWN_TEXT - 3] + "..."
        super().__init__(f"template {shown!r}: {error}")
        self.text = text
        self.error = error


def is_template_string(text: str) -> bool:
    """True when the text has Jinja markup; anything else renders as itself."""
    return "{{" in text or "{%" in text or "{#" in text


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, with the hub's functions, a render budget (`template_budget.py`) and a
    cache of compiled templates."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, hub: Hub) -> None:
        super().__init__(undefined=jinja2.Undefined)
        functions = hub_functions(hub)
        self.globals.update(functions)
        self.filters.update(hub_filters(functions))
        self.tests["is_number"] = functions["is_number"]
        self.tests["has_value"] = functions["has_value"]
        wrap_callables(self.filters)
        wrap_callables(self.tests)
        self.filters[BUDGET_FILTER] = guarded_iter
        self.filters[CONCAT_FILTER] = guarded_concat
        self._compiled: dict[str, jinja2.Template] = {}

    def _generate(
        self,
        source: jinja2.nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        """Jinja's documented hook between parsing and code generation: add the checks."""
        return super()._generate(add_budget_checks(source), name, filename, defer_init)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        return guarded_binop(operator, left, right)

    def call(
        __self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:
        check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        """Refuse outright: the default returns an Undefined, which prints as ''."""
        raise SecurityError(
            f"access to attribute {attribute!r} of a {type(obj).__name__} is not allowed"
        )

    def compile_text(self, text: str) -> jinja2.Template:
        compiled = self._compiled.get(text)
        if compiled is None:
            if len(self._compiled) >= _CACHE_SIZE:
                self._compiled.clear()
            compiled = self._compiled[text] = self.from_string(text)
            # A plain dict, not Jinja's ChainMap: every render copies the globals into its
            # context, and copying a ChainMap costs more than the render itself.
            compiled.globals = dict(compiled.globals)
        return compiled


def _environment(hub: Hub) -> _Environment:
    env = hub.data.get(_ENV_KEY)
    if env is None:
        env = hub.data[_ENV_KEY] = _Environment(hub)
    return env


_LITERAL_STARTS: Final = frozenset("0123456789+-.[{('\"")


def _parse_result(text: str) -> Any:
    """What the rendered text spells: a number, a boolean, None, a list or dict, or the text.

    Like Home Assistant: a number is taken only when it prints back the same (`"007"` and
    `"1e3"` stay text, so codes and plates keep their zeros).
    """
    stripped = text.strip()
    if not stripped:
        return text
    lowered = stripped.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if stripped[0] not in _LITERAL_STARTS and stripped not in ("None", "True", "False"):
        return text  # plain words: no need to ask the parser (which is slow to say no)
    try:
        result = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    if isinstance(result, str | complex | bytes):
        return text
    if isinstance(result, int | float) and not isinstance(result, bool):
        return result if str(result) == stripped else text
    return result


class Template:
    """One template text, compiled on first use (shared per hub) and rendered on the loop."""

    __slots__ = ("_compiled", "hub", "is_static", "text")

    def __init__(self, text: str, hub: Hub) -> None:
        if not isinstance(text, str):
            raise TypeError(f"a template must be a string, got {type(text).__name__}")
        self.text = text
        self.hub = hub
        self.is_static = not is_template_string(text)
        self._compiled: jinja2.Template | None = None

    def ensure_valid(self) -> None:
        """Compile now; raises TemplateError for a syntax error."""
        if self.is_static or self._compiled is not None:
            return
        try:
            self._compiled = _environment(self.hub).compile_text(self.text)
        except jinja2.TemplateSyntaxError as err:
            raise TemplateError(self.text, f"{err.message} (line {err.lineno})") from None

    def async_render(
        self, variables: Mapping[str, Any] | None = None, *, parse_result: bool = True
    ) -> Any:
        """Render with `variables`; raises TemplateError. A static text comes back as is."""
        if self.is_static:
            return self.text
        return self._render(variables, parse_result, None)

    def async_render_with_info(
        self, variables: Mapping[str, Any] | None = None, *, parse_result: bool = True
    ) -> tuple[Any, RenderInfo]:
        """Render and say what the render read (for re-rendering on those changes only)."""
        info = RenderInfo()
        if self.is_static:
            return self.text, info
        return self._render(variables, parse_result, info), info

    def async_render_into(
        self, info: RenderInfo, variables: Mapping[str, Any] | None = None
    ) -> Any:
        """Render, recording what was read into `info` even when the render fails."""
        if self.is_static:
            return self.text
        return self._render(variables, True, info)

    def _render(
        self, variables: Mapping[str, Any] | None, parse_result: bool, info: RenderInfo | None
    ) -> Any:
        self.ensure_valid()
        assert self._compiled is not None
        token = collect_into(info)
        outer = deadline_var.get()
        deadline = deadline_var.set(new_deadline() if outer is None else outer)
        try:
            text = self._stream(self._compiled, variables)
        except BudgetExceeded as err:
            raise TemplateError(self.text, str(err)) from None
        except SecurityError as err:
            raise TemplateError(self.text, f"refused: {err}") from None
        except jinja2.TemplateError as err:
            raise TemplateError(self.text, f"{type(err).__name__}: {err}") from None
        except Exception as err:  # a helper's ValueError, a ZeroDivisionError...
            raise TemplateError(self.text, f"{type(err).__name__}: {err}") from None
        finally:
            deadline_var.reset(deadline)
            reset_collector(token)
        return _parse_result(text) if parse_result else text

    @staticmethod
    def _stream(compiled: jinja2.Template, variables: Mapping[str, Any] | None) -> str:
        """Render piece by piece (as `jinja2.Template.render` does), stopping past MAX_RESULT."""
        pieces: list[str] = []
        size = 0
        for piece in compiled.root_render_func(compiled.new_context(dict(variables or {}))):
            size += len(piece)
            if size > MAX_RESULT:
                raise BudgetExceeded(f"the result is longer than {MAX_RESULT} characters")
            pieces.append(piece)
        return "".join(pieces)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.text == self.text and other.hub is self.hub

    def __hash__(self) -> int:
        return hash(self.text)


def compile_complex(value: Any, hub: Hub) -> Any:
    """Turn every template string inside dicts and lists into a Template, once, at setup.

    Raises TemplateError for the first one with a syntax error. Static strings stay strings.
    """
    if isinstance(value, str):
        if not is_template_string(value):
            return value
        template = Template(value, hub)
        template.ensure_valid()
        return template
    if isinstance(value, Mapping):
        return {
            compile_complex(key, hub): compile_complex(item, hub) for key, item in value.items()
        }
    if isinstance(value, list):
        return [compile_complex(item, hub) for item in value]
    return value


def render_complex(
    value: Any, hub: Hub, variables: Mapping[str, Any] | None = None, *, parse_result: bool = True
) -> Any:
    """Render Templates and template strings nested in dicts and lists; keys too."""
    if isinstance(value, Template):
        return value.async_render(variables, parse_result=parse_result)
    if isinstance(value, str):
        if not is_template_string(value):
            return value
        return Template(value, hub).async_render(variables, parse_result=parse_result)
    if isinstance(value, Mapping):
        return {
            render_complex(key, hub, variables, parse_result=False): render_complex(
                item, hub, variables, parse_result=parse_result
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [render_complex(item, hub, variables, parse_result=parse_result) for item in value]
    return value


TrackAction = Callable[[Any, Event | None], None]


def async_track_template(
    hub: Hub,
    template: Template,
    variables: Mapping[str, Any] | None,
    action: TrackAction,
) -> CALLBACK_TYPE:
    """Render now and again whenever something the last render read changes.

    `action(result, event)` runs after every render, the first with `event` None; a failed
    render passes its TemplateError as the result. Only the entities the render read are
    watched (a dict lookup per change); a template iterating a domain or all states
    listens to every state change, and one reading the clock re-renders every minute.
    Returns the unsubscribe callable.
    """
    unsubscribes: list[CALLBACK_TYPE] = []
    watched: tuple[frozenset[str], frozenset[str], bool, bool] | None = None

    def unsubscribe_all() -> None:
        while unsubscribes:
            unsubscribes.pop()()

    def subscribe(info: RenderInfo) -> None:
        nonlocal watched
        wanted = (
            frozenset(info.entities),
            frozenset(info.domains),
            info.all_states,
            info.uses_time,
        )
        if wanted == watched:
            return
        unsubscribe_all()
        watched = wanted
        if info.entities:
            unsubscribes.append(hub.states.async_track(info.entities, on_change))
        if info.domains or info.all_states:
            domains = frozenset(info.domains)
            everything = info.all_states

            def on_any_change(event: Event) -> None:
                entity_id: str = event.data["entity_id"]
                if entity_id in watched_entities():
                    return  # the per-entity tracker handles it
                if everything or entity_id.partition(".")[0] in domains:
                    on_change(event)

            unsubscribes.append(hub.bus.async_listen(EVENT_STATE_CHANGED, on_any_change))
        if info.uses_time:
            unsubscribes.append(
                hub.scheduler.async_track_interval(TIME_RERENDER, lambda _now: render(None))
            )

    def watched_entities() -> frozenset[str]:
        return watched[0] if watched is not None else frozenset()

    def render(event: Event | None) -> None:
        # What a failed render read so far is still watched: fixing the entity retries it.
        info = RenderInfo()
        try:
            result: Any = template.async_render_into(info, variables)
        except TemplateError as err:
            result = err
        subscribe(info)
        action(result, event)

    def on_change(event: Event) -> None:
        render(event)

    render(None)
    return unsubscribe_all
