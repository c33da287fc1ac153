"""Real MQTT brokers and clients for tests: Mosquitto on a free loopback port, and a paho
client in its own thread standing in for a device (a barrier controller, a bay sensor).

Any test package may request the `mosquitto` fixture (registered in tests/conftest.py):

    async def test_x(hub, mosquitto):
        ... mqtt config {"broker": mosquitto.url} ...
        await asyncio.to_thread(mosquitto.stop)     # the broker dies
        await asyncio.to_thread(mosquitto.start)    # and comes back on the same port

`MqttTestClient` connects to any broker (Mosquitto or the hub's embedded one):

    async with MqttTestClient(port) as device:
        await device.subscribe("barrier/entry/set")
        message = await device.wait_for("barrier/entry/set")
        await device.publish("barrier/entry/state", "open", retain=True)
"""

from __future__ import annotations

import asyncio
import getpass
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

__all__ = [
    "TEST_ACCOUNT",
    "MosquittoBroker",
    "MqttTestClient",
    "Received",
    "free_port",
    "mosquitto",
    "wait_until",
]

HOST = "127.0.0.1"
# Test devices log in with this account: an admin account on the embedded broker (which
# takes no anonymous clients; the tests add it under `embedded: users:`), and ignored by a
# Mosquitto that has no password file.
TEST_USERNAME = "test-device"
TEST_PASSWORD = "test-device-password"
TEST_ACCOUNT = {"username": TEST_USERNAME, "password": TEST_PASSWORD, "role": "admin"}
START_TIMEOUT = 5.0
WAIT_TIMEOUT = 5.0


async def wait_until(predicate: Callable[[], bool], within: float = WAIT_TIMEOUT) -> None:
    """Wait until `predicate()` holds (hub state reached over a real network round trip)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110  (a condition on many things, not one event)
            await asyncio.sleep(0.01)


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        pytest.fail("mosquitto is not installed (scripts/test installs it with apt-get)")
    return found


class MosquittoBroker:
    """One Mosquitto process on loopback; `stop()` kills it, `start()` brings it back on the
    same port (with no memory: persistence is off, so retained messages are gone)."""

    def __init__(
        self,
        conf_dir: Path,
        port: int | None = None,
        persistent: bool = False,
        listener_conf: str = "",
    ) -> None:
        """`listener_conf`: extra lines for the listener (TLS files, a password file)."""
        self.host = HOST
        self.port = port or free_port()
        self.scheme = "mqtts" if "certfile" in listener_conf else "mqtt"
        self._conf = conf_dir / "mosquitto.conf"
        # Persistent: sessions and retained messages survive a graceful stop (SIGTERM).
        persistence = (
            f"persistence true\npersistence_location {conf_dir}/\n"
            if persistent
            else "persistence false\n"
        )
        anonymous = "false" if "password_file" in listener_conf else "true"
        # `user`: Mosquitto started as root would drop to user "mosquitto", which can
        # neither read a test's files nor write its persistence file there.
        self._conf.write_text(
            f"user {getpass.getuser()}\nlistener {self.port} {HOST}\n"
            f"allow_anonymous {anonymous}\n{listener_conf}\n{persistence}"
            "log_dest stderr\nlog_type error\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> None:
        """Start and wait until the port accepts connections."""
        self._process = subprocess.Popen(
            [_mosquitto_binary(), "-c", str(self._conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                pytest.fail(f"mosquitto exited at start: {err}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        pytest.fail(f"mosquitto did not listen on {self.port} within {START_TIMEOUT} s")

    def stop(self, graceful: bool = False) -> None:
        """Kill the broker: SIGKILL (no goodbyes, like a power cut), or SIGTERM if `graceful`
        (a persistent broker then saves its sessions)."""
        if self._process is not None and self._process.poll() is None:
            if graceful:
                self._process.terminate()
            else:
                self._process.kill()
            self._process.wait(timeout=START_TIMEOUT)
        self._process = None


@pytest.fixture
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker]:
    """A fresh Mosquitto for the test, on a free 127.0.0.1 port."""
    broker = MosquittoBroker(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


@dataclass(frozen=True)
class Received:
    topic: str
    payload: str
    qos: int
    retain: bool


class MqttTestClient:
    """A paho client on its own thread, as a real device would be. Async methods wrap the
    blocking paho calls in `asyncio.to_thread`, so tests can await them on the loop."""

    def __init__(
        self,
        port: int,
        host: str = HOST,
        client_id: str = "",
        clean_session: bool = True,
        on_message: Callable[[Received], None] | None = None,
        username: str | None = TEST_USERNAME,
        password: str | None = TEST_PASSWORD,
    ) -> None:
        """`username=None`: connect anonymously."""
        self.host = host
        self.port = port
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.on_message = on_message
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.on_message = self._on_message
        self._connected = threading.Event()
        self.refused: str | None = None
        self._client.on_connect = self._on_connect
        self._subacks: set[int] = set()
        self._client.on_subscribe = self._on_subscribe

    def _on_subscribe(self, _client: Any, _userdata: Any, mid: int, *_args: Any) -> None:
        with self._changed:
            self._subacks.add(mid)
            self._changed.notify_all()

    def _on_connect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any, *_: Any) -> None:
        if reason.is_failure:
            self.refused = str(reason)
            self._client.disconnect()  # no reconnecting with refused credentials
        self._connected.set()

    def _on_message(self, _client: Any, _userdata: Any, message: paho.MQTTMessage) -> None:
        received = Received(
            message.topic, message.payload.decode(errors="replace"), message.qos, message.retain
        )
        with self._changed:
            self.messages.append(received)
            self._changed.notify_all()
        if self.on_message is not None:
            self.on_message(received)

    def _connect(self) -> None:
        self._client.connect(self.host, self.port, keepalive=30)
        self._client.loop_start()
        if not self._connected.wait(WAIT_TIMEOUT):
            raise TimeoutError(f"test client could not connect to {self.host}:{self.port}")
        if self.refused is not None:
            self._client.loop_stop()
            raise ConnectionRefusedError(f"the broker refused the connection: {self.refused}")

    def _close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    async def __aenter__(self) -> MqttTestClient:
        await asyncio.to_thread(self._connect)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.to_thread(self._close)

    async def subscribe(self, topic: str, qos: int = 1) -> None:
        """Subscribe and wait for the broker's SUBACK, so nothing published after is missed."""

        def run() -> None:
            result, mid = self._client.subscribe(topic, qos)
            if result != paho.MQTT_ERR_SUCCESS:
                raise RuntimeError(f"subscribe to {topic} failed: {result}")
            with self._changed:
                if not self._changed.wait_for(lambda: mid in self._subacks, WAIT_TIMEOUT):
                    raise TimeoutError(f"no SUBACK for {topic}")

        await asyncio.to_thread(run)

    def publish_now(
        self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False
    ) -> None:
        """Publish from any thread (e.g. inside `on_message`, as a device reacts)."""
        self._client.publish(topic, payload, qos, retain)

    async def publish(
        self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False
    ) -> None:
        def run() -> None:
            self._client.publish(topic, payload, qos, retain).wait_for_publish(WAIT_TIMEOUT)

        await asyncio.to_thread(run)

    def received(self, topic: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if paho.topic_matches_sub(topic, m.topic)]

    async def wait_for(
        self,
        topic: str,
        payload: str | None = None,
        count: int = 1,
        within: float = WAIT_TIMEOUT,
        retained: bool | None = None,
    ) -> list[Received]:
        """Wait until `count` messages on `topic` (a filter), with `payload` and the
        `retained` flag if given, arrived; returns all that match."""

        def matches() -> list[Received]:
            return [
                m
                for m in self.messages
                if paho.topic_matches_sub(topic, m.topic)
                and (payload is None or m.payload == payload)
                and (retained is None or m.retain == retained)
            ]

        def run() -> list[Received]:
            with self._changed:
                if not self._changed.wait_for(lambda: len(matches()) >= count, within):
                    got = [(m.topic, m.payload) for m in self.messages][-10:]
                    raise TimeoutError(
                        f"no {count} message(s) on {topic} {payload or ''} in {within} s; "
                        f"last received: {got}"
                    )
                return matches()

        return await asyncio.to_thread(run)
