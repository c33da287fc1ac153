"""Checks an OpenAPI document against the app that served it (shared by two test modules).

The route list comes from the app's router, not from a list in the test: a route added
without `@api_doc` fails here, naming itself.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from openapi_spec_validator import validate

from hub.web.openapi import documented_routes

__all__ = ["check_openapi"]


def check_openapi(app: web.Application, document: dict[str, Any]) -> None:
    """Valid OpenAPI 3.1; every API route of the router is in it, and described."""
    validate(document)  # raises OpenAPIValidationError naming what is wrong
    assert document["openapi"].startswith("3.1")
    routes = {(method.lower(), path) for method, path, _ in documented_routes(app)}
    listed = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    assert routes == listed, f"missing: {routes - listed}, extra: {listed - routes}"
    undocumented = sorted(
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("x-undocumented")
    )
    assert not undocumented, f"routes without @api_doc: {undocumented}"
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["cookie"]["in"] == "cookie"
