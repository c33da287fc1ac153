"""What each REST route says about itself, for `/api/openapi.json`.

A handler carries its description (`@api_doc(...)`): a summary, and the voluptuous
schemas its body and query are validated with, the same objects the handler passes to
`validate`, so the document cannot drift from what the route accepts. A route whose
handler has none is still listed, marked undocumented, and the test of the document
fails on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

__all__ = ["API_DOC_ATTR", "RouteDoc", "api_doc", "route_doc"]

API_DOC_ATTR: Final = "__api_doc__"
_H = TypeVar("_H", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class RouteDoc:
    """One operation: what it does, what it takes, what it answers.

    `body` and `query` are voluptuous schemas (a query schema is a dict of its keys);
    `response` is a JSON schema, or the name of one in the document's components
    (`"State"`, `"States"`). `auth` is the security it needs: "api" (bearer token or
    the panel's cookie), "metrics" (also the metrics token) or "none" (the WebSocket,
    which authenticates in its own protocol).
    """

    summary: str
    description: str = ""
    tag: str = ""
    body: Any = None
    query: Mapping[Any, Any] | None = None
    response: dict[str, Any] | str | None = None
    content_type: str = "application/json"
    status: int = 200
    errors: tuple[int, ...] = (400,)
    auth: str = "api"
    role: str = ""  # the role the route needs beyond a valid token ("admin"), if any
    extra: dict[str, Any] = field(default_factory=dict)


def api_doc(summary: str, **kwargs: Any) -> Callable[[_H], _H]:
    """Describe a route handler for the OpenAPI document (see RouteDoc for the fields)."""
    doc = RouteDoc(summary, **kwargs)

    def mark(handler: _H) -> _H:
        setattr(handler, API_DOC_ATTR, doc)
        return handler

    return mark


def route_doc(handler: Any) -> RouteDoc | None:
    """The description a handler carries, or None."""
    doc = getattr(handler, API_DOC_ATTR, None)
    return doc if isinstance(doc, RouteDoc) else None
