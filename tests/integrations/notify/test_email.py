"""E-mail through a local aiosmtpd relay: STARTTLS, SSL and plain, login, HTML, attachments."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from email.message import Message
from pathlib import Path

import cv2
import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.bus import Event
from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.integrations import camera
from tests.conftest import Clock
from tests.postgres import sqlite_only  # noqa: F401 (db_url: SQLite only)

from .conftest import SetupNotify, SmtpServer

SmtpFactory = Callable[[str], Awaitable[SmtpServer]]
# The plain-SMTP case logs in without TLS on purpose (a relay on the lot network).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

JPEG = b"\xff\xd8\xff\xe0fake-jpeg-bytes\xff\xd9"


def _body(part: Message) -> bytes:
    """A single part's decoded body (get_payload's type also covers a multipart's parts)."""
    body = part.get_payload(decode=True)
    assert isinstance(body, bytes), f"{part.get_content_type()} has no body of its own"
    return body


async def setup_email(
    setup_notify: SetupNotify, smtp: SmtpServer, encryption: str, password: str = "s3cret"
) -> None:
    await setup_notify(
        {
            "notifiers": [
                {
                    "name": "owner_mail",
                    "platform": "email",
                    "server": "127.0.0.1",
                    "port": smtp.port,
                    "encryption": encryption,
                    "username": "lot",
                    "password": password,
                    "sender": "hub@lot.example",
                    "sender_name": "Demo Lot",
                    "verify_ssl": False,
                    "target": "owner@lot.example",
                }
            ]
        }
    )


@pytest.mark.parametrize("encryption", ["starttls", "ssl", "none"])
async def test_email_with_html_and_snapshot(
    hub: Hub,
    setup_notify: SetupNotify,
    smtp_server_factory: SmtpFactory,
    events: dict[str, list[Event]],
    encryption: str,
) -> None:
    smtp = await smtp_server_factory(encryption)
    await setup_email(setup_notify, smtp, encryption)
    snapshot = hub.data_dir / "notify_snapshots" / "plate.jpg"
    await asyncio.to_thread(snapshot.parent.mkdir)
    await asyncio.to_thread(snapshot.write_bytes, JPEG)

    result = await hub.services.async_call(
        "notify",
        "owner_mail",
        {
            "title": "Overstay",
            "message": "KA01AB1234 stayed 3 h",
            "data": {"html": "<p><b>KA01AB1234</b> stayed 3 h</p>", "attachments": [str(snapshot)]},
        },
    )
    await hub.async_block_till_done()
    assert len(events["notification_sent"]) == 1, events
    assert smtp.logins == ["lot"]
    ((envelope, message),) = smtp.messages
    assert envelope.rcpt_tos == ["owner@lot.example"]
    assert message["Subject"] == "Overstay"
    assert message["From"] == "Demo Lot <hub@lot.example>"
    assert result["ids"][0] in message["Message-ID"]
    parts = {part.get_content_type(): part for part in message.walk()}
    assert _body(parts["text/plain"]).strip() == b"KA01AB1234 stayed 3 h"
    assert b"<b>KA01AB1234</b>" in _body(parts["text/html"])
    assert parts["image/jpeg"].get_filename() == "plate.jpg"
    assert _body(parts["image/jpeg"]) == JPEG


async def test_email_login_refused_is_final(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    smtp_server_factory: SmtpFactory,
    events: dict[str, list[Event]],
) -> None:
    smtp = await smtp_server_factory("starttls")
    await setup_email(setup_notify, smtp, "starttls", password="wrong")
    await hub.services.async_call("notify", "owner_mail", {"message": "hi"})
    await hub.async_block_till_done()
    await clock.advance(3600)
    (failed,) = events["notification_failed"]
    assert "login refused" in failed.data["error"]
    assert failed.data["tries"] == 1
    assert smtp.messages == []


async def test_email_resent_after_relay_outage_keeps_message_id(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    smtp_server_factory: SmtpFactory,
    events: dict[str, list[Event]],
) -> None:
    smtp = await smtp_server_factory("none")
    await setup_email(setup_notify, smtp, "none")
    # The relay is down for the first attempt: nothing listens on its port.
    runtime = hub.data["notify"]
    mailer = runtime.notifiers["owner_mail"]
    real_port, mailer.port = mailer.port, 1
    await hub.services.async_call("notify", "owner_mail", {"message": "hi"})
    await hub.async_block_till_done()
    assert events["notification_sent"] == []
    mailer.port = real_port
    await clock.advance(10)
    (sent,) = events["notification_sent"]
    assert sent.data["tries"] == 2
    ((_envelope, message),) = smtp.messages
    assert sent.data["id"] in message["Message-ID"]


async def test_attachments_must_be_files_in_the_data_dir(
    hub: Hub, setup_notify: SetupNotify, smtp_server_factory: SmtpFactory, tmp_path: Path
) -> None:
    smtp = await smtp_server_factory("none")
    await setup_email(setup_notify, smtp, "none")
    outside = tmp_path / "secret.txt"
    with pytest.raises(ServiceValidationError, match="outside the media folders"):
        await hub.services.async_call(
            "notify", "owner_mail", {"message": "hi", "data": {"attachments": [str(outside)]}}
        )
    with pytest.raises(ServiceValidationError, match="no such file"):
        await hub.services.async_call(
            "notify",
            "owner_mail",
            {"message": "hi", "data": {"attachments": ["notify_snapshots/nope.jpg"]}},
        )


def _plant(path: Path) -> None:
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"SQLite format 3\0 secrets")


@pytest.mark.parametrize(
    "name",
    ["parking.db", "auth.json", "lpr.db", "users.json", "lpr/../auth.json", "lpr/notes.db"],
)
async def test_attachments_never_come_from_databases_or_credentials(
    hub: Hub, setup_notify: SetupNotify, smtp_server_factory: SmtpFactory, name: str
) -> None:
    """Finding 4: `notify.<email>` mailed parking.db, auth.json and lpr.db to anyone."""
    smtp = await smtp_server_factory("none")
    await setup_email(setup_notify, smtp, "none")
    await asyncio.to_thread(_plant, hub.data_dir / name)

    with pytest.raises(ServiceValidationError, match=r"outside the media folders|not a picture"):
        await hub.services.async_call(
            "notify", "owner_mail", {"message": "hi", "data": {"attachments": [name]}}
        )
    await hub.async_block_till_done()
    assert smtp.messages == []


async def test_email_attaches_what_a_camera_sees(
    hub: Hub,
    setup_notify: SetupNotify,
    smtp_server_factory: SmtpFactory,
    events: dict[str, list[Event]],
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    """`data: {camera: ...}` takes the picture at call time and keeps it for the retries."""
    picture = np.full((90, 160, 3), (40, 160, 220), np.uint8)  # an orange-ish lane
    ok, encoded = cv2.imencode(".jpg", picture)
    assert ok

    async def still(_request: web.Request) -> web.Response:
        return web.Response(body=encoded.tobytes(), content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/still.jpg", still)
    server = await aiohttp_server(app, host="127.0.0.1")
    await camera.async_setup(
        hub,
        camera.CONFIG_SCHEMA(
            {
                "cameras": [
                    {"id": "lane", "source": "snapshot", "url": str(server.make_url("/still.jpg"))}
                ]
            }
        ),
    )
    smtp = await smtp_server_factory("none")
    await setup_email(setup_notify, smtp, "none")

    await hub.services.async_call(
        "notify",
        "owner_mail",
        {"message": "Overstay at the lane", "data": {"camera": "camera.lane"}},
    )
    await hub.async_block_till_done()

    assert len(events["notification_sent"]) == 1, events
    ((_envelope, message),) = smtp.messages
    [attached] = [part for part in message.walk() if part.get_content_type() == "image/jpeg"]
    assert (attached.get_filename() or "").endswith("-lane.jpg")
    image = cv2.imdecode(np.frombuffer(_body(attached), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "the attachment is not an image"
    assert image.shape == (90, 160, 3)
    assert np.abs(image.astype(int) - picture).mean() < 8  # the camera's picture, re-encoded
    kept = await asyncio.to_thread(lambda: list((hub.data_dir / "notify_snapshots").glob("*.jpg")))
    assert len(kept) == 1  # on disk, so a retry after a restart still has it

    with pytest.raises(ServiceValidationError, match=r"data.camera: unknown camera 'camera.gate'"):
        await hub.services.async_call(
            "notify", "owner_mail", {"message": "x", "data": {"camera": "camera.gate"}}
        )
