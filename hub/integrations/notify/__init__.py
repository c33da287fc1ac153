"""Notifications: sms, email, webhook, mqtt and panel notifiers behind a durable outbox.

Each configured notifier becomes a service `notify.<name>`. A call is stored in
`<data_dir>/notify.db` (or PostgreSQL, `db_url:`) before anything is sent, then delivered,
retried and reported by the outbox (see outbox.py); pending ones resume when the hub
starts again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from hub.core.bus import Event
from hub.core.const import EVENT_HUB_STOP
from hub.database import hub_node

from .api import async_register_api
from .config import CONFIG_SCHEMA, NotifyConfig
from .const import DOMAIN, EVENT_NOTIFICATION_FAILED, EVENT_NOTIFICATION_SENT, OUTBOX_FILE
from .metrics import async_register_notify_metrics
from .outbox import Outbox
from .platforms import PLATFORMS, Notifier, Shared
from .services import async_register_services
from .snapshots import purge_snapshots
from .store import OutboxStore

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "CONFIG_SCHEMA",
    "DOMAIN",
    "EVENT_NOTIFICATION_FAILED",
    "EVENT_NOTIFICATION_SENT",
    "NotifyRuntime",
    "async_setup",
]

_LOGGER = logging.getLogger(__name__)

DAY = 86400.0


@dataclass(slots=True)
class NotifyRuntime:
    """What the integration keeps in `hub.data["notify"]`."""

    store: OutboxStore
    outbox: Outbox
    notifiers: dict[str, Notifier]
    session: aiohttp.ClientSession


async def async_setup(hub: Hub, config: dict[str, Any]) -> None:
    conf = NotifyConfig.from_dict(config)
    store = await OutboxStore.async_open(conf.db_url or hub.data_dir / OUTBOX_FILE, hub_node(hub))

    async def purge(_now: object = None) -> None:
        cutoff = hub.scheduler.timestamp() - conf.keep_days * DAY
        await store.async_purge(cutoff)
        await hub.async_add_executor_job(purge_snapshots, hub.data_dir, cutoff)

    await purge()
    session = aiohttp.ClientSession()
    shared = Shared(hub, session, store)
    notifiers: dict[str, Notifier] = {}
    for notifier_conf in conf.notifiers:
        notifier_class = PLATFORMS[notifier_conf["platform"]][1]
        notifiers[notifier_conf["name"]] = notifier_class(notifier_conf, shared)
    outbox = Outbox(hub, store, notifiers, conf.outbox)
    hub.data[DOMAIN] = NotifyRuntime(store, outbox, notifiers, session)
    async_register_services(hub, outbox, notifiers)
    async_register_api(hub)
    stop_metrics = async_register_notify_metrics(hub, outbox, notifiers)

    stop_purging = hub.scheduler.async_track_interval(DAY, purge)

    async def async_stop(_event: Event) -> None:
        stop_purging()
        for stop in stop_metrics:
            stop()
        await outbox.async_stop()
        await session.close()
        await store.async_close()

    hub.bus.async_listen_once(EVENT_HUB_STOP, async_stop)
    await outbox.async_resume()
    _LOGGER.debug("Notifiers set up: %s", ", ".join(notifiers) or "none")
