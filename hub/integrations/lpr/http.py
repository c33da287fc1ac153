"""REST for the lists and the saved plate pictures.

- `GET /api/lpr/lists`: every list with its kind, fuzziness and entry count,
- `GET /api/lpr/lists/{name}/plates`: its entries (source yaml or db, active now or not),
- `POST /api/lpr/lists/{name}/plates`: add or replace one (`{plate, note, valid_from,
  valid_until}`), 201 with the entry,
- `DELETE /api/lpr/lists/{name}/plates/{plate}`: remove one, 200 with the entry,
- `GET /api/lpr/media/{path}`: a snapshot or plate crop named by an event or sensor,
- `GET /api/lpr/reads?limit=50&hours=24`: the recent reads (recorded `plate_detected`
  events) newest first, with their pictures as media URLs, for the panel.

Errors are JSON naming the field: 400 bad input, 404 unknown list / plate / file, 409 a
YAML entry (read-only here).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import voluptuous as vol
from aiohttp import web

from hub.core.limits import MAX_PATH_BYTES
from hub.web.api_doc import api_doc
from hub.web.helpers import (
    async_register_route,
    ensure_object,
    json_error,
    json_response,
    read_json,
    validate,
)

from .config import ENTRY_SCHEMA, plate_text
from .const import (
    CONF_NOTE,
    CONF_PLATE,
    CONF_VALID_FROM,
    CONF_VALID_UNTIL,
    EVENT_PLATE_DETECTED,
    MEDIA_URL,
)
from .media import resolve
from .runtime import LprRuntime, NotListed, ReadOnlyEntry, UnknownList

__all__ = ["READS_QUERY", "async_register_http"]

READS_QUERY: Final = vol.Schema(
    {
        vol.Optional("limit", default=50): vol.All(
            vol.Coerce(int, msg="expected a whole number"), vol.Range(min=1, max=500)
        ),
        vol.Optional("hours", default=24): vol.All(
            vol.Coerce(float, msg="expected a number of hours"), vol.Range(min=0.1, max=24 * 31)
        ),
    }
)
_READ_KEYS: Final = ("plate", "confidence", "camera", "direction", "list", "listed", "time")


def async_register_http(runtime: LprRuntime) -> None:
    hub = runtime.hub

    @api_doc(
        "Plate lists: kind, fuzziness, entry count",
        tag="lpr",
        response={"type": "array", "items": {"type": "object"}},
        errors=(),
    )
    async def get_lists(_request: web.Request) -> web.Response:
        return json_response(
            [
                {
                    "name": spec.name,
                    "kind": spec.kind,
                    "max_distance": spec.max_distance,
                    "count": len(runtime.lists.entries(spec.name)),
                }
                for spec in runtime.lists.specs.values()
            ]
        )

    @api_doc("A list's entries", tag="lpr", response={"type": "array"}, errors=(404,))
    async def get_plates(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            runtime.check_list(name)
        except UnknownList as err:
            return json_error(404, str(err))
        now = hub.scheduler.utcnow()
        return json_response([entry.as_dict(now) for entry in runtime.lists.entries(name)])

    @api_doc(
        "Add or replace a plate on a list (201 with the entry)",
        tag="lpr",
        body=ENTRY_SCHEMA,
        response={"type": "object"},
        status=201,
        errors=(400, 404, 409),
    )
    async def post_plate(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            runtime.check_list(name)
        except UnknownList as err:
            return json_error(404, str(err))
        body = ensure_object(await read_json(request))
        data = validate(ENTRY_SCHEMA, body)
        try:
            entry = await runtime.async_add_plate(
                name,
                data[CONF_PLATE],
                data.get(CONF_NOTE),
                data.get(CONF_VALID_FROM),
                data.get(CONF_VALID_UNTIL),
            )
        except ReadOnlyEntry as err:
            return json_error(409, str(err))
        return json_response(entry.as_dict(hub.scheduler.utcnow()), status=201)

    @api_doc(
        "Take a plate off a list", tag="lpr", response={"type": "object"}, errors=(400, 404, 409)
    )
    async def delete_plate(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        plate = validate(vol.Schema(plate_text), request.match_info["plate"], "plate")
        try:
            entry = await runtime.async_remove_plate(name, plate)
        except (UnknownList, NotListed) as err:
            return json_error(404, str(err))
        except ReadOnlyEntry as err:
            return json_error(409, str(err))
        return json_response(entry.as_dict())

    @api_doc(
        "A saved plate snapshot or crop",
        tag="lpr",
        response={"type": "string", "format": "binary"},
        content_type="image/jpeg",
        errors=(404,),
    )
    async def get_media(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        if len(relative.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
            return json_error(400, f"path: longer than {MAX_PATH_BYTES} bytes")
        path = await hub.async_add_executor_job(resolve, runtime.media_root, relative)
        if path is None:
            return json_error(404, f"no plate picture {relative!r}")
        body = await hub.async_add_executor_job(path.read_bytes)
        return web.Response(body=body, content_type="image/jpeg")

    def media(path: Any) -> str | None:
        if not isinstance(path, str) or not path:
            return None
        try:
            return runtime.media_url(Path(path))
        except ValueError:  # not under the media folder (moved since): no picture
            return None

    @api_doc(
        "Recent plate reads with crops and list membership",
        tag="lpr",
        query=READS_QUERY,
        response={"type": "object"},
        errors=(400, 503),
    )
    async def get_reads(request: web.Request) -> web.Response:
        query = validate(READS_QUERY, dict(request.query), "query")
        recorder = hub.recorder
        if recorder is None:
            return json_error(503, "the recorder is not running")
        start = hub.scheduler.utcnow() - timedelta(hours=query["hours"])
        events = await recorder.async_events([EVENT_PLATE_DETECTED], start)
        reads = []
        for event in reversed(events[-query["limit"] :]):
            data = event["data"]
            read = {key: data.get(key) for key in _READ_KEYS}
            read["time"] = read["time"] or event["time_fired"]
            read["context_id"] = event["context"]["id"]
            read["crop_url"] = media(data.get("crop"))
            read["snapshot_url"] = media(data.get("snapshot"))
            reads.append(read)
        return json_response({"reads": reads})

    async_register_route(hub, "GET", "/api/lpr/reads", get_reads)
    base = "/api/lpr/lists"
    async_register_route(hub, "GET", base, get_lists)
    async_register_route(hub, "GET", base + "/{name}/plates", get_plates)
    async_register_route(hub, "POST", base + "/{name}/plates", post_plate)
    async_register_route(hub, "DELETE", base + "/{name}/plates/{plate}", delete_plate)
    async_register_route(hub, "GET", MEDIA_URL + "/{path:.+}", get_media)
