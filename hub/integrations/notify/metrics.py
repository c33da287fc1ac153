"""The outbox's numbers for /metrics: outcomes per notifier and what is queued.

Outcomes are counted from `notification_sent` / `notification_failed` (a notifier not
configured is counted as "other", so an event fired over the API cannot add labels);
queue sizes are read from the outbox at scrape time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.hub import Hub
from hub.web.metrics import async_register_metrics

from .const import EVENT_NOTIFICATION_FAILED, EVENT_NOTIFICATION_SENT

if TYPE_CHECKING:
    from .outbox import Outbox

__all__ = ["async_register_notify_metrics"]


def async_register_notify_metrics(
    hub: Hub, outbox: Outbox, notifiers: Mapping[str, Any]
) -> list[CALLBACK_TYPE]:
    """Start counting; returns the callables that stop it."""
    outcomes: Counter[tuple[str, str]] = Counter()

    def counter(outcome: str) -> Any:
        def count(event: Event) -> None:
            notifier = event.data.get("notifier")
            name = notifier if isinstance(notifier, str) and notifier in notifiers else "other"
            outcomes[name, outcome] += 1

        return count

    def collect() -> Iterator[Metric]:
        family = CounterMetricFamily(
            "parkhub_notifications",
            "Notifications settled, by notifier and outcome (sent or failed)",
            labels=["notifier", "outcome"],
        )
        for name in sorted(notifiers):
            for outcome in ("sent", "failed"):
                family.add_metric([name, outcome], outcomes[name, outcome])
        for (name, outcome), value in sorted(outcomes.items()):
            if name not in notifiers:
                family.add_metric([name, outcome], value)
        yield family
        queue = GaugeMetricFamily(
            "parkhub_notify_outbox", "Notifications in the outbox, by stage", labels=["stage"]
        )
        queue.add_metric(["waiting"], outbox.waiting)
        queue.add_metric(["sending"], outbox.sending)
        yield queue

    return [
        hub.bus.async_listen(EVENT_NOTIFICATION_SENT, counter("sent")),
        hub.bus.async_listen(EVENT_NOTIFICATION_FAILED, counter("failed")),
        async_register_metrics(hub, collect),
    ]
