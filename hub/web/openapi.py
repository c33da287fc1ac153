"""`GET /api/openapi.json`: an OpenAPI 3.1 document of every REST route the hub serves.

Built from the router itself, so a route added by an integration is in it the moment it
is registered, and from the `@api_doc` each handler carries: the voluptuous schemas its
body and query are validated with are converted (`schema_doc.to_json_schema`), never
written out twice. A route without `@api_doc` is still listed, marked
`x-undocumented`, so the document stays whole and the test of it names the route.
"""

from __future__ import annotations

import re
from typing import Any, Final

import voluptuous as vol
from aiohttp import web

from hub import __version__

from .api_doc import RouteDoc, api_doc, route_doc
from .helpers import json_response
from .schema_doc import to_json_schema

__all__ = [
    "OPENAPI_PATH",
    "SESSION_COOKIE",
    "async_register_openapi",
    "build_openapi",
    "documented_routes",
]

OPENAPI_PATH: Final = "/api/openapi.json"
# The panel's login cookie (the name the access work settles on: keep the two in step).
SESSION_COOKIE: Final = "parkhub_session"
_PARAM: Final = re.compile(r"{([^}:]+)(?::[^}]*)?}")
# The JSON API, sign-in (`/auth/...`, once there is one) and /metrics; not the panel's
# page and files.
_PREFIXES: Final = ("/api/", "/auth/")
_METRICS_PATH: Final = "/metrics"

_ERROR_TEXT: Final = {
    400: "Bad input: what is wrong, naming the field",
    401: "No valid bearer token",
    403: "The token's role may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    503: "A part this needs is not running",
}
_SECURITY: Final[dict[str, list[dict[str, list[str]]]]] = {
    "api": [{"bearer": []}, {"cookie": []}],
    "metrics": [{"bearer": []}, {"metricsToken": []}],
    "none": [],
}
_COMPONENTS: Final[dict[str, Any]] = {
    "schemas": {
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}},
            "required": ["error"],
        },
        "Context": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "parent_id": {"type": ["string", "null"]},
                "user_id": {"type": ["string", "null"]},
            },
        },
        "State": {
            "type": "object",
            "properties": {
                "entity_id": {"type": "string"},
                "state": {"type": "string"},
                "attributes": {"type": "object"},
                "last_changed": {"type": "string", "format": "date-time"},
                "last_updated": {"type": "string", "format": "date-time"},
                "context": {"$ref": "#/components/schemas/Context"},
            },
            "required": ["entity_id", "state"],
        },
        "States": {"type": "array", "items": {"$ref": "#/components/schemas/State"}},
    },
    "securitySchemes": {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A long-lived token (`parkhub token create NAME`)",
        },
        "cookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "The panel's session after a password login",
        },
        "metricsToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The `metrics_token` from config.yaml; reaches /metrics only",
        },
    },
}


def documented_routes(app: web.Application) -> list[tuple[str, str, web.AbstractRoute]]:
    """(method, path, route) of every route the document covers: API, sign-in, metrics."""
    found = []
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        path = route.resource.canonical
        if path.startswith(_PREFIXES) or path == _METRICS_PATH:
            found.append((route.method, path, route))
    return found


def _query_parameters(query: Any) -> list[dict[str, Any]]:
    keys = query.schema if isinstance(query, vol.Schema) else query
    converted = to_json_schema(vol.Schema(keys))
    required = set(converted.get("required") or ())
    parameters = []
    for name, schema in (converted.get("properties") or {}).items():
        schema = dict(schema)
        description = schema.pop("description", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _schema_ref(response: dict[str, Any] | str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{response}"} if isinstance(response, str) else response


def _operation(method: str, path: str, doc: RouteDoc | None) -> dict[str, Any]:
    operation_id = f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}"
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(path)
    ]
    if doc is None:
        return {
            "operationId": operation_id,
            "summary": "undocumented",
            "x-undocumented": True,
            "parameters": params,
            "responses": {"default": {"description": "not described"}},
        }
    operation: dict[str, Any] = {"operationId": operation_id, "summary": doc.summary}
    if doc.description:
        operation["description"] = doc.description
    operation["tags"] = [doc.tag or path.split("/")[2] or "api"]
    if doc.query is not None:
        params.extend(_query_parameters(doc.query))
    if params:
        operation["parameters"] = params
    if doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": to_json_schema(doc.body)}},
        }
    success: dict[str, Any] = {"description": doc.summary}
    if doc.response is not None:
        success["content"] = {doc.content_type: {"schema": _schema_ref(doc.response)}}
    responses: dict[str, Any] = {str(doc.status): success}
    security = _SECURITY[doc.auth]
    statuses = {*doc.errors, *((401,) if security else ()), *((403,) if doc.role else ())}
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": _ERROR_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    operation["responses"] = responses
    operation["security"] = security
    if doc.role:
        operation["x-role"] = doc.role
    operation.update(doc.extra)
    return operation


def build_openapi(app: web.Application) -> dict[str, Any]:
    """The whole document for the app's routes as they are now."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path, route in documented_routes(app):
        paths.setdefault(path, {})[method.lower()] = _operation(
            method, path, route_doc(route.handler)
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ParkHub",
            "version": __version__,
            "description": "REST API of a ParkHub parking-lot hub, shaped like Home Assistant's. "
            "The WebSocket API is at /api/websocket.",
        },
        "paths": dict(sorted(paths.items())),
        "components": _COMPONENTS,
        "security": _SECURITY["api"],
    }


@api_doc("This document: OpenAPI 3.1 of every REST route", response={"type": "object"}, errors=())
async def _get_openapi(request: web.Request) -> web.Response:
    return json_response(build_openapi(request.app))


def async_register_openapi(app: web.Application) -> None:
    """Serve the document at OPENAPI_PATH."""
    app.router.add_get(OPENAPI_PATH, _get_openapi)
