"""The render budget: no template may hold the event loop, nor make a huge result.

Templates render on the loop (they read states synchronously), so a render that runs long
freezes the whole hub: two nested `range()` loops once held it for 9.5 s. A worker thread
would not help: a thread cannot be cancelled, and a C-level operation (`sum`, string
repetition) keeps the GIL until it ends, so the loop would stall anyway. The budget is
therefore checked *inside* the render, at every place where a template can do unbounded
work in Jinja code:

- every iteration of a `{% for %}` loop (the parsed template is rewritten so each loop's
  iterable passes through `_hub_budget`),
- every call (functions, macros, methods: the sandbox's `call`), every filter and test,
- every `~` concatenation.

Every 32nd check reads the clocks and raises `BudgetExceeded` (which `Template` turns
into a TemplateError naming the template) once the render has used `RENDER_BUDGET` of
CPU time (100 ms), or `RENDER_WALL_LIMIT` of wall-clock time. CPU time, so that a
legitimate render is not failed because a busy machine took the hub's thread off the
CPU for a moment; the wall-clock limit still bounds that case.

What a single step can do between two checks is bounded too: the operations that could
build a huge value in one C call are guarded by size (`*`, `+`, `**`, `~`, `%` and
`format` widths, padding filters and string methods), so one step never runs longer
than a few milliseconds. The rendered text is streamed and cut at
`MAX_RESULT` characters.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, Final

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.visitor import NodeTransformer

__all__ = [
    "MAX_RESULT",
    "RENDER_BUDGET",
    "BudgetExceeded",
    "add_budget_checks",
    "check_deadline",
    "deadline_var",
    "guarded_binop",
    "guarded_concat",
    "guarded_iter",
    "new_deadline",
    "wrap_callables",
]

# CPU seconds one render may take; the contract is "never hold the loop 100 ms".
RENDER_BUDGET: Final = 0.1
# Wall-clock seconds, whatever the CPU time: the backstop on a machine so loaded that
# the hub's thread barely runs (then every part of the hub is slow, not the template).
RENDER_WALL_LIMIT: Final = 0.5
# The clocks are read at every CHECK_EVERY-th check (a CPU-time read is a system call).
CHECK_EVERY: Final = 32
# Characters (or items) a template's result, or any value built inside it, may have.
MAX_RESULT: Final = 256 * 1024
# Bits a power may produce (`3 ** 10 ** 8` is a long C computation).
_MAX_POWER_BITS: Final = 64 * 1024
# A format width or precision of 7 digits or more ('%1000000000d', '{:>1000000000}'),
# or one given as an argument ('%*d').
_HUGE_WIDTH: Final = re.compile(r"%[-+ #0]*(?:\d{7,}|\.\d{7,}|\*)|\{[^{}]*:[^{}]*\d{7,}")
# Filters and string methods whose integer argument is the size of what they make.
_SIZING_FILTERS: Final = frozenset({"center", "indent", "wordwrap", "truncate"})
_SIZING_METHODS: Final = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})

BUDGET_FILTER: Final = "_hub_budget"
CONCAT_FILTER: Final = "_hub_concat"


# The deadlines of the render running now (thread CPU time, perf_counter), None outside.
class RenderBudget:
    """One render's deadlines, and the sizes of the sequences it built (lists are
    immutable in the sandbox, so a list's size is counted once, not at every `+`)."""

    __slots__ = ("cpu", "sizes", "wall")

    def __init__(self) -> None:
        self.cpu = time.thread_time() + RENDER_BUDGET
        self.wall = time.perf_counter() + RENDER_WALL_LIMIT
        self.sizes: dict[int, tuple[Any, int]] = {}  # id -> (the object, kept alive; size)


deadline_var: ContextVar[RenderBudget | None] = ContextVar("template_deadline", default=None)
_ticks = 0
_SIZES_KEPT: Final = 16


def new_deadline() -> RenderBudget:
    """The budget of a render starting now."""
    return RenderBudget()


class BudgetExceeded(SecurityError):
    """A render went over its time or size budget."""


def check_deadline() -> None:
    global _ticks
    _ticks += 1
    if _ticks % CHECK_EVERY:
        return
    budget = deadline_var.get()
    if budget is None:
        return
    if time.thread_time() > budget.cpu or time.perf_counter() > budget.wall:
        raise BudgetExceeded(
            f"render took longer than {RENDER_BUDGET * 1000:.0f} ms and was stopped"
        )


def _too_big(what: str, size: int) -> BudgetExceeded:
    return BudgetExceeded(f"{what} would make {size} characters or items (limit {MAX_RESULT})")


def _weight(value: Any, limit: int = MAX_RESULT) -> int:
    """Characters and items in a value, counted into nested lists; stops past `limit`."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple):
        budget = deadline_var.get()
        known = budget.sizes.get(id(value)) if budget is not None else None
        if known is not None and known[0] is value:
            return known[1]
        total = len(value)
        for item in value:
            if total > limit:
                break
            if isinstance(item, str | bytes | list | tuple):
                total += _weight(item, limit - total)
        return total
    return 1


def guarded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """A `{% for %}` loop's iterable, checking the deadline before each item."""
    for item in iterable:
        check_deadline()
        yield item


def guarded_concat(parts: list[Any]) -> str:
    """`a ~ b`: the joined text, refused past MAX_RESULT."""
    check_deadline()
    texts = [str(part) for part in parts]
    size = sum(map(len, texts))
    if size > MAX_RESULT:
        raise _too_big("'~'", size)
    return "".join(texts)


def _check_power(left: Any, right: Any) -> None:
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and abs(left) > 1
        and right > 0
        and right * math.log2(abs(left)) > _MAX_POWER_BITS
    ):
        raise BudgetExceeded(f"{left} ** {right} is too large a number")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _HUGE_WIDTH.search(text):
        raise BudgetExceeded("a format width or precision of a million or more, or '*'")


_BINOPS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "*": operator.mul,
    "+": operator.add,
    "**": operator.pow,
    "%": operator.mod,
}


def guarded_binop(op: str, left: Any, right: Any) -> Any:
    """`*`, `+`, `**` and `%`, refused when the result would be huge."""
    check_deadline()
    size: int | None = None
    if op == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
                size = _weight(seq) * max(count, 0)
                if size > MAX_RESULT:
                    raise _too_big("'*'", size)
    elif op == "+":
        if isinstance(left, str | bytes | list | tuple) and type(left) is type(right):
            size = _weight(left) + _weight(right)
            if size > MAX_RESULT:
                raise _too_big("'+'", size)
    elif op == "**":
        _check_power(left, right)
    elif op == "%":
        _check_format(left)
    result = _BINOPS[op](left, right)
    if size is not None and isinstance(result, list | tuple):
        budget = deadline_var.get()
        if budget is not None:
            sizes = budget.sizes
            if len(sizes) >= _SIZES_KEPT:  # keep the newest few alive, not every one built
                del sizes[next(iter(sizes))]
            sizes[id(result)] = (result, size)
    return result


def _check_args(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_RESULT:
            raise BudgetExceeded(f"{name}({value}) would make too large a value")


def check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Before a call from the template: the deadline, and the size a str method would make."""
    check_deadline()
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, str):
        name = getattr(obj, "__name__", "")
        if name in _SIZING_METHODS:
            _check_args(name, args, kwargs)
        elif name in ("format", "format_map"):
            _check_format(owner)


def _wrap(name: str, func: Callable[..., Any], sizing: bool) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps jinja's pass_context/pass_environment marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        check_deadline()
        if sizing:
            _check_args(name, args[1:], kwargs)
        elif name == "format" and args:
            _check_format(args[0])
        return func(*args, **kwargs)

    return guarded


def wrap_callables(table: Any) -> None:
    """Make every filter (or test) in `table` check the deadline before it runs."""
    for name, func in list(table.items()):
        if name not in (BUDGET_FILTER, CONCAT_FILTER):
            table[name] = _wrap(name, func, name in _SIZING_FILTERS)


class _Rewriter(NodeTransformer):
    """Send every loop's iterable through `_hub_budget` and every `~` through `_hub_concat`."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, BUDGET_FILTER, node.lineno)  # type: ignore[arg-type]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER, node.lineno)


def _filter(value: nodes.Expr, name: str, lineno: int) -> nodes.Filter:
    return nodes.Filter(value, name, [], [], None, None, lineno=lineno)


def add_budget_checks(tree: nodes.Template) -> nodes.Template:
    """Rewrite a parsed template so its loops and concatenations check the budget."""
    result = _Rewriter().visit(tree)
    assert isinstance(result, nodes.Template)
    return result
