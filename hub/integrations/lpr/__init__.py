"""Licence-plate recognition: find plates in lane cameras' frames and read them.

Per watched camera (`lpr: cameras:`): frames -> a cheap motion check in the lane zone ->
the plate reader in a worker thread (one read in flight per camera) -> a vote over the
reads of one vehicle pass -> one `plate_detected` event (fresh Context) with the plate,
its list, the box, the runners-up and the saved snapshot and crop; the camera's
`sensor.<camera>_last_plate` follows it. Lists come from config.yaml and `data/lpr.db`
(or PostgreSQL, `db_url:`).

The OCR engine is built at setup in a worker thread; when it cannot run (easyocr
without weights, a broken install) the error says what is missing, the integration is
not loaded, and the hub runs on without it.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.database import hub_node
from hub.entity import async_add_entities
from hub.integrations.camera import async_get_camera

from .config import CONFIG_SCHEMA, LprConfig
from .const import DB_FILE, DOMAIN, MEDIA_DIR
from .engines import EngineUnavailable, create_engine
from .entity import LastPlateSensor
from .formats import PlateFormats
from .http import async_register_http
from .lists import PlateLists
from .media import prune
from .metrics import async_register_lpr_metrics
from .reader import PlateReader
from .runtime import LprRuntime
from .services import async_register_services
from .store import ListStore
from .watcher import CameraWatcher

__all__ = ["CONFIG_SCHEMA", "LprRuntime", "async_setup"]

_LOGGER = logging.getLogger(__name__)


async def async_setup(hub: Hub, config: dict[str, Any]) -> bool:
    settings = LprConfig.from_config(config, hub.time_zone)
    try:
        engine = await hub.async_add_executor_job(
            create_engine, settings.engine, settings.model_storage_directory
        )
    except EngineUnavailable as err:
        _LOGGER.error("Plate reader not started: OCR engine %s: %s", settings.engine, err)
        return False
    lists = PlateLists(settings.lists)
    for entry in settings.entries:
        lists.add(entry)
    store = await ListStore.async_open(settings.db_url or hub.data_dir / DB_FILE, hub_node(hub))
    for entry in await store.async_entries():
        if entry.list in lists.specs:
            lists.add(entry)
    runtime = LprRuntime(hub, settings, engine, lists, store, hub.data_dir / MEDIA_DIR)
    hub.data[DOMAIN] = runtime
    async_register_services(runtime)
    async_register_http(runtime)
    runtime.on_stop.extend(async_register_lpr_metrics(runtime))

    for camera_settings in settings.cameras:
        try:
            camera = await async_get_camera(hub, camera_settings.camera)
        except HubError as err:
            _LOGGER.error("Plate reader: %s not watched: %s", camera_settings.camera, err)
            continue
        reader = PlateReader(engine, PlateFormats.from_config(camera_settings.formats))
        watcher = CameraWatcher(hub, camera_settings, reader, runtime.async_report)
        sensor = LastPlateSensor(camera_settings.camera)
        runtime.watchers[camera_settings.camera] = watcher
        runtime.sensors[camera_settings.camera] = sensor
        await async_add_entities(hub, DOMAIN, [sensor])
        runtime.on_stop.append(watcher.async_start(camera))

    media = settings.media
    hub.async_add_executor_job(
        prune, runtime.media_root, media.keep_days, media.max_files, hub.scheduler.timestamp()
    )

    async def stop(_event: Any) -> None:
        while runtime.on_stop:
            runtime.on_stop.pop()()
        await store.async_close()

    hub.bus.async_listen_once(EVENT_HUB_STOP, stop)
    return True
