"""Notify fixtures: the integration set up from a config dict, and the far sides it talks to.

Twilio, the SMTP relay and webhook receivers are unreachable from tests, so each is a
local server speaking the real protocol on 127.0.0.1: aiohttp for the HTTP ones,
aiosmtpd for SMTP (with a self-signed certificate for STARTTLS and SSL).
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.integrations.notify import CONFIG_SCHEMA, async_setup
from tests.web.conftest import app, auth_header, token, ws_client  # noqa: F401 (fixtures)

SetupNotify = Callable[[dict[str, Any]], Awaitable[None]]


@pytest.fixture
def setup_notify(hub: Hub, db_url: str | None) -> SetupNotify:
    """Set up notify on `hub` from a `notify:` block, validated like config.yaml's; every
    test using it runs on SQLite and on PostgreSQL (`db_url`), unless its module imports
    `sqlite_only` (the platforms' own tests: the outbox under them is this same one, run
    on both by test_outbox, test_panel, test_services and test_kill)."""

    async def setup(config: dict[str, Any]) -> None:
        chosen = config if db_url is None else {**config, "db_url": db_url}
        await async_setup(hub, CONFIG_SCHEMA(chosen))

    return setup


def notify_store(hub: Hub, db_url: str | None) -> str | Path:
    """Where the test's outbox is: the PostgreSQL URL, or notify.db."""
    return db_url if db_url is not None else hub.data_dir / "notify.db"


@pytest.fixture
def events(hub: Hub) -> dict[str, list[Event]]:
    """notification_sent / notification_failed events as they fire."""
    seen: dict[str, list[Event]] = {"notification_sent": [], "notification_failed": []}
    for event_type, bucket in seen.items():
        hub.bus.async_listen(event_type, bucket.append)
    return seen


# -- SMTP -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl, made once per run)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class SmtpServer:
    """A local SMTP relay: what it received, and the login it accepts."""

    port: int = 0
    messages: list[tuple[Envelope, Message]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    received: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append((envelope, message_from_bytes(envelope.content)))
        self.received.set()
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"lot",
            b"s3cret",
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server_factory(
    tls_files: tuple[Path, Path],
) -> Iterator[Callable[[str], Awaitable[SmtpServer]]]:
    """Start an aiosmtpd server on the test's loop: `none`, `starttls` or `ssl`."""
    servers: list[asyncio.Server] = []

    async def start(encryption: str) -> SmtpServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        await asyncio.to_thread(context.load_cert_chain, *tls_files)
        state = SmtpServer()
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                state,
                hostname="relay.test",
                tls_context=context if encryption == "starttls" else None,
                require_starttls=encryption == "starttls",
                authenticator=state.authenticate,
                # Implicit TLS (ssl) is invisible to aiosmtpd: only STARTTLS counts for it.
                auth_require_tls=encryption == "starttls",
                auth_required=True,
            )

        server = await loop.create_server(
            protocol, "127.0.0.1", 0, ssl=context if encryption == "ssl" else None
        )
        servers.append(server)
        state.port = server.sockets[0].getsockname()[1]
        return state

    yield start
    for server in servers:
        server.close()
