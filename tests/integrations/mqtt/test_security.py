"""mqtts:// with a private CA, and a broker that wants a password, on a real Mosquitto."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.core.hub import Hub
from hub.integrations import mqtt
from hub.integrations.mqtt import ReceiveMessage, async_publish, async_subscribe, is_connected
from tests.conftest import LogGuard
from tests.mqtt_broker import MosquittoBroker, wait_until


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private CA and a server certificate for 127.0.0.1, made with the openssl CLI."""
    folder = tmp_path_factory.mktemp("tls")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=ParkHub test CA",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=127.0.0.1",
        cwd=folder,
    )  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "san.ext",
        cwd=folder,
    )  # fmt: skip
    return folder


@pytest.fixture
def tls_broker(certificates: Path, tmp_path: Path) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(
        tmp_path,
        listener_conf=(
            f"cafile {certificates}/ca.pem\ncertfile {certificates}/server.pem\n"
            f"keyfile {certificates}/server.key\n"
        ),
    )
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    passwords = tmp_path / "passwords"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwords), "parkhub", "s3cret"],
        check=True,
        capture_output=True,
    )
    broker = MosquittoBroker(tmp_path, listener_conf=f"password_file {passwords}\n")
    broker.start()
    yield broker
    broker.stop()


async def roundtrip(hub: Hub) -> None:
    """The hub hears its own publish: reading and writing both work on this connection."""
    got: list[ReceiveMessage] = []
    await async_subscribe(hub, "lot/echo", got.append, qos=1)
    for n in range(20):
        await async_publish(hub, "lot/echo", f"hello {n}", qos=1)
    await wait_until(lambda: len(got) == 20)
    assert [m.payload for m in got] == [f"hello {n}" for n in range(20)]


async def setup(hub: Hub, **config: Any) -> None:
    await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA(config))


async def test_mqtts_with_a_private_ca(
    hub: Hub, tls_broker: MosquittoBroker, certificates: Path
) -> None:
    assert tls_broker.url.startswith("mqtts://")
    await setup(hub, broker=tls_broker.url, certificate_authority=str(certificates / "ca.pem"))
    async with asyncio.timeout(5):
        await mqtt.async_wait_connected(hub)
    await roundtrip(hub)


async def test_mqtts_refuses_a_certificate_it_cannot_verify(
    hub: Hub, tls_broker: MosquittoBroker, caplog: pytest.LogCaptureFixture, log_guard: LogGuard
) -> None:
    await setup(hub, broker=tls_broker.url)
    assert not is_connected(hub)
    assert "certificate verify failed" in caplog.text


async def test_wrong_password_is_refused_and_never_connected(
    hub: Hub, password_broker: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"mqtt://parkhub:wrong@127.0.0.1:{password_broker.port}"
    await setup(hub, broker=url)
    assert not is_connected(hub)
    assert "refused: Not authorized" in caplog.text


async def test_password_in_config(hub: Hub, password_broker: MosquittoBroker) -> None:
    await setup(hub, broker=password_broker.url, username="parkhub", password="s3cret")
    async with asyncio.timeout(5):
        await mqtt.async_wait_connected(hub)
    await roundtrip(hub)
