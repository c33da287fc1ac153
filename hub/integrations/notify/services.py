"""The `notify.<name>` services: render the call's templates, split it per recipient, queue it.

`message`, `title`, `target` and `data` may all be templates; they are rendered with the
call's `data` as variables (`message: "{{ plate }} overstayed"`, `data: {plate: ...}`).
A call returns once its notifications are stored in the outbox, not once sent: delivery
is reported by `notification_sent` / `notification_failed`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.context import new_id
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.template import TemplateError, render_complex

from .const import (
    ATTR_DATA,
    ATTR_MESSAGE,
    ATTR_TARGET,
    ATTR_TITLE,
    DATA_ATTACHMENTS,
    DATA_CAMERA,
    DOMAIN,
    SNAPSHOT_DIR,
)
from .models import Notification
from .snapshots import async_take_snapshots

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .outbox import Outbox
    from .platforms import Notifier

__all__ = ["SERVICE_SCHEMA", "async_register_services"]

# A caller's own key: the same key again (an automation retrying) queues nothing new.
DATA_IDEMPOTENCY_KEY: Final = "idempotency_key"

SERVICE_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_TITLE): vol.Any(None, cv.string),
        vol.Optional(ATTR_TARGET): vol.Any(cv.string, [cv.string]),
        vol.Optional(ATTR_DATA, default=dict): dict,
    },
    extra=vol.PREVENT_EXTRA,
)


def _render(
    hub: Hub, value: Any, variables: dict[str, Any], what: str, *, parse: bool = False
) -> Any:
    """Render templates in `value`; `parse` lets a template yield a list (targets)."""
    try:
        return render_complex(value, hub, variables, parse_result=parse)
    except TemplateError as err:
        raise ServiceValidationError(f"{what}: {err}") from None


# The only folders attachments may come from: the pictures the hub writes itself
# (notification snapshots, and the plate pictures of `lpr`, under `<data_dir>/lpr/`).
# Never the databases, auth.json, users.json or secrets beside them.
MEDIA_FOLDERS: Final = (SNAPSHOT_DIR, "lpr")
MEDIA_SUFFIXES: Final = frozenset({".jpg", ".jpeg", ".png"})


def _attachments(data_dir: Path, value: Any) -> list[Path]:
    """Files to attach: pictures inside the hub's media folders (a relative path is taken
    from the data directory). Runs in a worker thread: resolving paths touches the disk."""
    root = data_dir.resolve()
    folders = [root / folder for folder in MEDIA_FOLDERS]
    paths: list[Path] = []
    for item in cv.ensure_list(value):
        if not isinstance(item, str) or not item or len(item) > 1024:
            raise ServiceValidationError(f"data.{DATA_ATTACHMENTS}: expected file paths")
        try:
            path = (root / item).resolve()
        except (OSError, RuntimeError):
            raise ServiceValidationError(f"data.{DATA_ATTACHMENTS}: bad path {item!r}") from None
        if not any(path.is_relative_to(folder) for folder in folders):
            where = ", ".join(str(folder) for folder in folders)
            raise ServiceValidationError(
                f"data.{DATA_ATTACHMENTS}: {item!r} is outside the media folders ({where})"
            )
        if path.suffix.lower() not in MEDIA_SUFFIXES:
            raise ServiceValidationError(
                f"data.{DATA_ATTACHMENTS}: {item!r} is not a picture (.jpg, .jpeg, .png)"
            )
        try:
            is_file = path.is_file()
        except OSError:
            is_file = False
        if not is_file:
            raise ServiceValidationError(f"data.{DATA_ATTACHMENTS}: no such file: {item}")
        paths.append(path)
    return paths


def _note_id(notifier: str, key: str | None, target: str) -> str:
    if key is None:
        return new_id()
    return hashlib.sha256(f"{notifier}\0{key}\0{target}".encode()).hexdigest()[:32]


def async_register_services(hub: Hub, outbox: Outbox, notifiers: dict[str, Notifier]) -> None:
    """One service `notify.<name>` per notifier."""
    for name, notifier in notifiers.items():
        hub.services.async_register(
            DOMAIN,
            name,
            _handler(hub, outbox, notifier),
            SERVICE_SCHEMA,
            f"Send a notification with {notifier.platform}",
        )


def _handler(
    hub: Hub, outbox: Outbox, notifier: Notifier
) -> Callable[[ServiceCall], Awaitable[dict[str, Any]]]:
    async def async_handle(call: ServiceCall) -> dict[str, Any]:
        raw_data: dict[str, Any] = dict(call.data[ATTR_DATA])
        variables = {**raw_data, "notifier": notifier.name}
        message = str(_render(hub, call.data[ATTR_MESSAGE], variables, ATTR_MESSAGE))
        title = call.data.get(ATTR_TITLE)
        if title is not None:
            title = str(_render(hub, title, variables, ATTR_TITLE))
        rendered = _render(hub, call.data.get(ATTR_TARGET), variables, ATTR_TARGET, parse=True)
        targets = cv.ensure_list(rendered)
        targets = [str(target).strip() for target in targets if str(target).strip()]
        data = _render(hub, raw_data, variables, ATTR_DATA)
        targets = targets or notifier.targets
        if notifier.needs_target and not targets:
            raise ServiceValidationError(
                f"{DOMAIN}.{notifier.name}: no target given and none configured"
            )
        attachments: list[Path] = []
        if DATA_ATTACHMENTS in data:
            attachments = await hub.async_add_executor_job(
                _attachments, hub.data_dir, data.pop(DATA_ATTACHMENTS)
            )
            if not notifier.supports_attachments:
                attachments = []
        if DATA_CAMERA in data:
            cameras = data.pop(DATA_CAMERA)
            if notifier.supports_attachments:
                attachments += await async_take_snapshots(hub, cameras)
        key = data.pop(DATA_IDEMPOTENCY_KEY, None)
        now = hub.scheduler.timestamp()
        notes = [
            Notification(
                id=_note_id(notifier.name, None if key is None else str(key), target),
                notifier=notifier.name,
                target=target,
                message=message,
                title=title,
                data=data,
                attachments=attachments,
                created=now,
                next_attempt=now,
                context_id=call.context.id,
            )
            for target in (targets or [""])
        ]
        queued = await outbox.async_enqueue(notes)
        return {"ids": [note.id for note in notes], "queued": queued}

    return async_handle
