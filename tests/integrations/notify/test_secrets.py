"""Finding 13: a webhook URL's `?apikey=` never appears in clear in the log, in the
stored error or in the `notification_failed` event, whether the call is refused by the
server or cannot connect at all."""

from __future__ import annotations

import logging
import socket

import pytest
from aiohttp.test_utils import TestServer

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.log import setup_logging
from hub.redact import RedactingFilter
from tests.conftest import Clock
from tests.postgres import sqlite_only  # noqa: F401 (db_url: SQLite only)

from .conftest import SetupNotify
from .receivers import Receiver
from .test_outbox import AiohttpServer, hook

SECRET = "sk_live_4f9a1c"


async def _refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook?apikey={SECRET}&lot=north"


@pytest.mark.parametrize("where", ["server says 400", "nobody listens"])
async def test_a_failing_webhook_never_logs_its_api_key(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    if where == "server says 400":
        server: TestServer = await aiohttp_server(Receiver(statuses=[400]).app())
        url = str(server.make_url("/hook")) + f"?apikey={SECRET}"
    else:
        url = await _refused_url()
    await setup_notify({**hook(url), "max_tries": 2})
    await hub.services.async_call("notify", "ops", {"message": "Gate stuck"})
    await hub.async_block_till_done()
    await clock.advance(60)
    await hub.async_block_till_done()

    [failed] = events["notification_failed"]
    assert "apikey=***" in failed.data["error"], failed.data["error"]
    assert SECRET not in str(failed.data)
    # (The receiver's own access log, a test stand-in for the remote server, is not ours.)
    hub_log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("hub"))
    assert SECRET not in hub_log
    assert "apikey=***" in hub_log  # the failure is still logged, with the key masked


def test_the_log_filter_masks_what_slips_through() -> None:
    """Installed on the root handlers by setup_logging: a camera URL's password or a
    query value in any library's message is masked."""
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1,
        "cannot open %s (%s)", ("rtsp://admin:hunter2@cam.lot/live?token=abc", "password=s3"),
        None,
    )  # fmt: skip
    RedactingFilter().filter(record)
    assert (
        record.getMessage() == "cannot open rtsp://admin:***@cam.lot/live?token=*** (password=***)"
    )
    record = logging.LogRecord(
        "x", logging.DEBUG, __file__, 1, "config %s", ({"user": "u", "password": "s3cr3t"},), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "config {'user': 'u', 'password': '***'}"
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        setup_logging(None)
        assert all(
            any(isinstance(f, RedactingFilter) for f in handler.filters)
            for handler in root.handlers
        )
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
