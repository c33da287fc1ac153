"""`GET /metrics`: the hub's numbers in Prometheus text format (`prometheus-client`).

Nothing here sits on a hot path. The bus and the state machine keep one integer each
(`bus.fired`, `states.version`), the recorder, WebSocket clients and integrations keep
what they count anyway, and all of it is read only when Prometheus scrapes: a collector
walks the hub then. Integrations add their own numbers through
`async_register_metrics(hub, source)`, a callable returning metric families at scrape
time (cameras' frames, occupancy and plate-read timings, notification outcomes), so this
module never reaches into one. Only HTTP latency is observed per request, by a
middleware: a histogram per route pattern (not per URL, so the label set stays small).

Who may scrape: an admin's bearer token, or the `metrics: token:` from config.yaml, a
token that reaches this route and nothing else.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Final

import voluptuous as vol
from aiohttp import web
from aiohttp.typedefs import Handler

# Imported with this module, not when the app is built on the loop: importing
# prometheus_client reads /proc (its process collector), a blocking call.
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, Histogram, generate_latest

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.hub import Hub

from .api_doc import api_doc
from .helpers import AUTH_KEY, HUB_KEY, TOKENS_KEY, WEBSOCKETS_KEY, json_error
from .ws import WS_CONNECTIONS_KEY

if TYPE_CHECKING:
    from prometheus_client.core import Metric

__all__ = [
    "CONFIG_SCHEMA",
    "METRICS_PATH",
    "MetricSource",
    "async_register_metrics",
    "async_setup_metrics",
    "metrics_middleware",
]

METRICS_PATH: Final = "/metrics"
MetricSource = Callable[[], Iterable["Metric"]]

CONFIG_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(
            "token", description="A bearer token that may read /metrics (and nothing else)"
        ): vol.All(cv.string, vol.Length(min=16, msg="use at least 16 characters")),
    },
    extra=vol.PREVENT_EXTRA,
)

METRIC_SOURCES_KEY: Final = web.AppKey("metric_sources", list[MetricSource])
METRICS_TOKEN_KEY: Final = web.AppKey("metrics_token", str)
_LATENCY_KEY: Final[web.AppKey[Histogram]] = web.AppKey("http_latency")
# Request latency buckets (seconds): a REST call is ms, a snapshot tens of ms.
_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


def async_register_metrics(hub: Hub, source: MetricSource) -> CALLBACK_TYPE:
    """Have `source()` called at each scrape; returns the callable that stops it.

    A no-op when the hub serves no web app (tests of one integration, the CLI).
    """
    app = hub.http
    if app is None or METRIC_SOURCES_KEY not in app:
        return lambda: None
    sources = app[METRIC_SOURCES_KEY]
    sources.append(source)

    def remove() -> None:
        if source in sources:
            sources.remove(source)

    return remove


class _HubCollector:
    """What the core knows, read at scrape time, plus every registered source."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        app = self._app
        hub = app[HUB_KEY]
        yield CounterMetricFamily("parkhub_events", "Events fired on the bus", value=hub.bus.fired)
        yield CounterMetricFamily(
            "parkhub_state_changes",
            "State changes (writes that changed something, removals, restores)",
            value=hub.states.version,
        )
        yield GaugeMetricFamily("parkhub_entities", "Entities with a state", value=len(hub.states))
        yield GaugeMetricFamily(
            "parkhub_websocket_clients",
            "WebSocket connections open (authenticated or not)",
            value=len(app[WEBSOCKETS_KEY]),
        )
        queues = GaugeMetricFamily(
            "parkhub_queue_length", "Items waiting in the hub's queues", labels=["queue"]
        )
        connections = app[WS_CONNECTIONS_KEY]
        queues.add_metric(["websocket_out"], sum(conn.pending for conn in list(connections)))
        if hub.recorder is not None:
            queues.add_metric(["recorder"], hub.recorder.queue_length)
        yield queues
        sources = app[METRIC_SOURCES_KEY]
        for source in list(sources):
            yield from source()
        yield from app[_LATENCY_KEY].collect()


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time each request by route pattern; long-lived streams and sockets are left out."""
    started = time.perf_counter()
    response = await handler(request)
    if isinstance(response, web.Response):  # not a WebSocket, MJPEG or other stream
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[_LATENCY_KEY].labels(request.method, route, str(response.status)).observe(
            time.perf_counter() - started
        )
    return response


async def _refusal(request: web.Request) -> web.Response | None:
    """None when the caller may scrape; else the 401 (no or bad token) or 403 (not admin).

    /metrics is outside /api/, so no auth middleware has to have run: a caller an outer
    layer already identified is taken as is, else the bearer token is checked here.
    """
    known = request.get(AUTH_KEY)
    if known is not None and known.role == "admin":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        configured = request.app.get(METRICS_TOKEN_KEY)
        if configured and hmac.compare_digest(configured.encode(), token.encode()):
            return None
        info = known or await request.app[TOKENS_KEY].async_validate(token)
        if info is not None:
            if info.role == "admin":
                return None
            return json_error(403, "metrics are for admins and the metrics token")
    return json_error(
        401,
        "an admin token or the metrics token is required (Authorization: Bearer <token>)",
        {"WWW-Authenticate": "Bearer"},
    )


@api_doc(
    "The hub's metrics in Prometheus text format",
    description="Events, state changes, camera frames, occupancy and plate-read timings, "
    "plate reads by outcome, queue lengths, notification outcomes, WebSocket clients and "
    "HTTP latency by route. An admin token, or the metrics token from config.yaml.",
    tag="metrics",
    response={"type": "string"},
    content_type="text/plain",
    errors=(401, 403),
    auth="metrics",
)
async def _get_metrics(request: web.Request) -> web.Response:
    if (refusal := await _refusal(request)) is not None:
        return refusal
    collector = _HubCollector(request.app)
    body = generate_latest(collector)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


def async_setup_metrics(app: web.Application, token: str | None = None) -> None:
    """Serve /metrics on the app; `token` is the configured metrics token, if any."""
    app[METRIC_SOURCES_KEY] = []
    app[_LATENCY_KEY] = Histogram(
        "parkhub_http_request_duration_seconds",
        "HTTP request latency by route pattern",
        ["method", "route", "status"],
        buckets=_BUCKETS,
        registry=None,  # one per app: tests run many hubs in one process
    )
    if token:
        app[METRICS_TOKEN_KEY] = token
    app.router.add_get(METRICS_PATH, _get_metrics)
