"""An MQTT client on paho-mqtt that lives on the asyncio loop, never in a thread of its own.

Why not paho's `loop_start()` thread: every callback would then run on paho's thread and
have to hop back to the loop, and a shared "connected" flag would be read from two
threads. Instead the client is driven the way aiomqtt 2.x drives paho: the socket is
handed to the loop with `add_reader` / `add_writer`, so `loop_read()` and `loop_write()`
run on the loop when the socket is ready, and every paho callback (`on_connect`,
`on_message`, ...) therefore runs on the loop too. Only `connect()` (DNS, TCP and TLS
handshakes, which block) goes to a worker thread; the socket callbacks paho fires from
there are passed to the loop with `call_soon_threadsafe`. One task per client runs the
reconnect loop (exponential backoff) and paho's housekeeping (`loop_misc`: keepalive
pings) once a second.

Publishes made while the broker is away are not lost: QoS 1 and 2 are queued (bounded;
when full the oldest is dropped with a warning) and sent once after the next connect.
A QoS 0 publish while disconnected is counted and dropped: state topics are republished
in full after every connect anyway.

Received QoS 1 and 2 messages are acknowledged by the owner (paho's `manual_ack`), through
`acker(message)`: so a central hub can hold a worker's event unacknowledged until what it
caused is committed, and a kill before that makes the broker send it again. An ack made
after the connection it came on has dropped is not sent: the broker redelivers the
message on the new connection, where it is acknowledged again.

Reconnect backoff waits in real time (`asyncio.sleep`), not on the hub's clock: a broker
coming back is a real-world event, and a hub whose clock a test has frozen must still
reconnect (other integrations' tests rely on that).

This module never imports the hub, so it could be a library of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from .const import CONNECT_TIMEOUT, DISCONNECT_TIMEOUT, MISC_INTERVAL
from .models import ConnectionSettings

__all__ = ["MqttClient", "MqttConnectError"]

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]
MessageHandler = Callable[[paho.MQTTMessage], None]


class MqttConnectError(Exception):
    """The broker could not be reached, or refused the connection."""


class MqttClient:
    """One connection to a broker, kept up for as long as `async_run` runs.

    `on_message` receives paho's raw messages on the loop; `on_connect` is called on the
    loop after every (re)connect, so the owner can resubscribe, `flush_queue()` and
    republish. `run_blocking` runs a blocking call in a worker thread;
    `sleep` waits between attempts.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        settings: ConnectionSettings,
        *,
        run_blocking: RunBlocking,
        sleep: Callable[[float], Awaitable[None]],
        on_message: MessageHandler,
        on_connect: Callable[[], None],
        on_disconnect: Callable[[], None],
    ) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._settings = settings
        self._run_blocking = run_blocking
        self._sleep = sleep
        self._on_message = on_message
        self._on_connect_cb = on_connect
        self._on_disconnect_cb = on_disconnect
        self._queue: deque[tuple[str, bytes, int, bool]] = deque()
        self._connected = False
        self._stopping = False
        self._connack: asyncio.Future[None] | None = None
        self._disconnected: asyncio.Future[None] = loop.create_future()
        self._disconnected.set_result(None)
        self._tls_ready = False
        # Resolved when the first connect attempt is over, whichever way it went.
        self.first_attempt: asyncio.Future[None] = loop.create_future()
        self._subacks: dict[int, asyncio.Future[None]] = {}
        # mid -> called when the broker acknowledges that publish (`publish_tracked`).
        # Kept across reconnects: paho sends unacknowledged QoS 1 publishes again, same mid.
        self._puback_waiters: dict[int, Callable[[], None]] = {}
        self._writing_now = False
        # True while paho reads: its callbacks (connect, message) then run under paho's
        # callback lock, and a write that fails there would close the socket under that
        # same lock and hang the loop. Publishes made then are left to the writer.
        self._in_paho_read = False
        # Counts connections, so an ack never goes out on a later one than its message's.
        self._generation = 0
        # The wait before the next attempt while the broker is unreachable, else None.
        self.retry_delay: float | None = None
        self._paho = self._make_paho()

    def _make_paho(self) -> paho.Client:
        s = self._settings
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=paho.MQTTv311,
            clean_session=s.clean_session,
            manual_ack=True,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.will_topic is not None:
            client.will_set(s.will_topic, s.will_payload, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_paho_message
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_socket_register_write
        client.on_socket_unregister_write = self._on_socket_unregister_write
        return client

    # -- state ----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def queued(self) -> int:
        return len(self._queue)

    # -- the connection loop --------------------------------------------------------------

    async def async_run(self) -> None:
        """Connect, and reconnect with exponential backoff until `async_stop`."""
        first, most = self._settings.backoff
        warned = False
        while not self._stopping:
            try:
                await self._async_connect_once()
            except MqttConnectError as err:
                self._attempted()
                delay = self.retry_delay = (
                    first if self.retry_delay is None else min(self.retry_delay * 2, most)
                )
                log = _LOGGER.debug if warned else _LOGGER.warning
                log(
                    "Cannot connect to MQTT broker %s:%s: %s; retrying in %g s",
                    self._settings.host,
                    self._settings.port,
                    err,
                    delay,
                )
                warned = True
                await self._sleep(delay)
                continue
            self.retry_delay, warned = None, False
            self._attempted()
            _LOGGER.info("Connected to MQTT broker %s:%s", self._settings.host, self._settings.port)
            await self._async_housekeep()
            if not self._stopping:
                _LOGGER.warning(
                    "Lost the connection to MQTT broker %s:%s; reconnecting",
                    self._settings.host,
                    self._settings.port,
                )

    def _attempted(self) -> None:
        if not self.first_attempt.done():
            self.first_attempt.set_result(None)

    async def _async_connect_once(self) -> None:
        s = self._settings
        if s.tls and not self._tls_ready:
            # Reading certificate files blocks: a worker thread does it, once.
            await self._run_blocking(self._setup_tls)
            self._tls_ready = True
        self._disconnected = self._loop.create_future()
        self._connack = connack = self._loop.create_future()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await self._run_blocking(lambda: self._paho.connect(s.host, s.port, s.keepalive))
                await connack
        except (OSError, ssl.SSLError, TimeoutError, MqttConnectError) as err:
            self._connack = None
            self._drop_socket()
            if isinstance(err, MqttConnectError):
                raise
            raise MqttConnectError(str(err) or type(err).__name__) from None
        finally:
            self._connack = None
            if connack.done() and not connack.cancelled():
                connack.exception()  # retrieved: the error above already said it

    async def _async_housekeep(self) -> None:
        """Run paho's keepalive bookkeeping each second until the connection drops."""
        while not self._disconnected.done():
            done, _ = await asyncio.wait({self._disconnected}, timeout=MISC_INTERVAL)
            if not done and self._paho.loop_misc() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._mark_disconnected()

    def _setup_tls(self) -> None:
        s = self._settings
        self._paho.tls_set(ca_certs=s.ca_certs, certfile=s.client_cert, keyfile=s.client_key)
        if s.tls_insecure:
            self._paho.tls_insecure_set(True)

    def _drop_socket(self) -> None:
        """Close a half-open connection after a failed or refused connect."""
        sock = self._paho.socket()
        if sock is not None:
            self._remove_io(sock)
            self._paho.disconnect()
        self._mark_disconnected()

    async def async_stop(self) -> None:
        """Say goodbye cleanly: `offline` (if a will is set), then DISCONNECT."""
        self._stopping = True
        if not self._connected:
            return
        s = self._settings
        if s.will_topic is not None:
            # Sent before DISCONNECT on the same stream: the broker stores it first.
            self._paho.publish(s.will_topic, s.will_payload, qos=1, retain=True)
        self._paho.disconnect()
        try:
            async with asyncio.timeout(DISCONNECT_TIMEOUT):
                await asyncio.shield(self._disconnected)
        except TimeoutError:
            self._drop_socket()

    # -- publish and subscribe ------------------------------------------------------------

    def publish(
        self, topic: str, payload: bytes, qos: int, retain: bool, queue: bool = True
    ) -> None:
        """Send now if connected; otherwise queue QoS 1/2 (bounded), count QoS 0 as dropped.

        `queue=False` for what the owner republishes after every connect anyway
        (discovery configs): it must not push gate commands out of the queue.
        """
        if self._connected:
            if qos:
                self._publish_now(topic, payload, qos, retain)
            else:
                # State updates go out in bursts when the loop finds the socket writable.
                self._paho.publish(topic, payload, qos, retain)
            return
        if qos == 0 or not queue:
            _LOGGER.debug("Not connected: dropped a publish to %s (sent again on connect)", topic)
            return
        if len(self._queue) >= self._settings.queue_size:
            dropped = self._queue.popleft()
            _LOGGER.warning(
                "MQTT queue full (%d): dropped the oldest queued publish, to %s",
                self._settings.queue_size,
                dropped[0],
            )
        self._queue.append((topic, payload, qos, retain))

    def publish_tracked(self, topic: str, payload: bytes, on_acked: Callable[[], None]) -> bool:
        """Publish at QoS 1 now and call `on_acked()` when the broker has acknowledged it
        (after a reconnect if need be: paho sends it again). False, and nothing sent,
        while not connected: the caller keeps it for the next connect."""
        if not self._connected:
            return False
        mid = self._publish_now(topic, payload, 1, False)
        self._puback_waiters[mid] = on_acked
        return True

    def _publish_now(self, topic: str, payload: bytes, qos: int, retain: bool) -> int:
        """Commands (QoS 1) are latency bound: write at once rather than on the loop's next
        turn, and skip registering a writer (two epoll calls) unless the socket is full.
        Inside a paho callback, paho's own writer registration sends it instead.
        Returns the message id."""
        if self._in_paho_read:
            return self._paho.publish(topic, payload, qos, retain).mid
        self._writing_now = True
        try:
            info = self._paho.publish(topic, payload, qos, retain)
            self._paho.loop_write()
        finally:
            self._writing_now = False
        if self._paho.want_write() and (sock := self._paho.socket()) is not None:
            self._loop.add_writer(sock, self._paho.loop_write)
        return info.mid

    def flush_queue(self) -> None:
        """Send what was queued while disconnected, oldest first (the owner calls this
        after resubscribing, so its own subscriptions hear the queued messages too)."""
        while self._queue and self._connected:
            self._publish_now(*self._queue.popleft())

    def subscribe(self, topics: list[tuple[str, int]]) -> asyncio.Future[None] | None:
        """Subscribe now if connected; the future resolves on the broker's SUBACK."""
        if not self._connected or not topics:
            return None
        result, mid = self._paho.subscribe(topics)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            return None
        future: asyncio.Future[None] = self._loop.create_future()
        self._subacks[mid] = future
        return future

    def unsubscribe(self, topic: str) -> None:
        if self._connected:
            self._paho.unsubscribe(topic)

    def acker(self, message: paho.MQTTMessage) -> Callable[[], None]:
        """The acknowledgement of `message` (QoS 1 or 2), to call once it is handled; a
        no-op for QoS 0, or once the connection it came on is gone."""
        if not message.qos:
            return _nothing
        generation, mid, qos = self._generation, message.mid, message.qos

        def ack() -> None:
            if self._connected and self._generation == generation:
                self._paho.ack(mid, qos)

        return ack

    # -- paho callbacks (all on the loop, except socket ones during connect) ----------------

    def _on_connect(
        self,
        _client: paho.Client,
        _userdata: Any,
        _flags: paho.ConnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            if self._connack is not None and not self._connack.done():
                self._connack.set_exception(MqttConnectError(f"refused: {reason}"))
            return
        self._connected = True
        self._generation += 1
        if self._connack is not None and not self._connack.done():
            self._connack.set_result(None)
        self._on_connect_cb()

    def _on_disconnect(
        self,
        _client: paho.Client,
        _userdata: Any,
        _flags: paho.DisconnectFlags,
        _reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self._call_on_loop(self._mark_disconnected)

    def _mark_disconnected(self) -> None:
        was_connected, self._connected = self._connected, False
        for future in self._subacks.values():
            future.cancel()
        self._subacks.clear()
        if not self._disconnected.done():
            self._disconnected.set_result(None)
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(MqttConnectError("connection closed by the broker"))
        if was_connected:
            self._on_disconnect_cb()

    def _on_subscribe(
        self,
        _client: paho.Client,
        _userdata: Any,
        mid: int,
        _reasons: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        future = self._subacks.pop(mid, None)
        if future is not None and not future.done():
            future.set_result(None)

    def _on_publish(
        self,
        _client: paho.Client,
        _userdata: Any,
        mid: int,
        _reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        waiter = self._puback_waiters.pop(mid, None)
        if waiter is not None:
            self._call_on_loop(waiter)

    def _on_paho_message(
        self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage
    ) -> None:
        self._on_message(message)

    def _on_socket_open(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        # Small packets back to back (an event, then the gate command): without NODELAY,
        # Nagle holds the second until the broker's delayed ACK, some 40 ms later.
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def read() -> None:
            self._in_paho_read = True
            try:
                client.loop_read()
                # TLS may hold whole records the kernel no longer signals as readable.
                pending = getattr(sock, "pending", None)
                while pending is not None and pending() and client.socket() is sock:
                    client.loop_read()
            finally:
                self._in_paho_read = False

        def register() -> None:
            # A connect that timed out may have closed this socket before we got here.
            if _is_current(client, sock):
                self._loop.add_reader(sock, read)

        self._call_on_loop(register)

    def _on_socket_close(self, _client: paho.Client, _userdata: Any, sock: Any) -> None:
        self._call_on_loop(lambda: self._remove_io(sock))

    def _remove_io(self, sock: Any) -> None:
        self._loop.remove_reader(sock)
        self._loop.remove_writer(sock)

    def _on_socket_register_write(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        if self._writing_now:
            return  # `_publish_now` writes at once and registers only if it must

        def register() -> None:
            if _is_current(client, sock):
                self._loop.add_writer(sock, client.loop_write)

        self._call_on_loop(register)

    def _on_socket_unregister_write(self, _client: paho.Client, _userdata: Any, sock: Any) -> None:
        self._call_on_loop(lambda: self._loop.remove_writer(sock))

    def _call_on_loop(self, func: Callable[[], Any]) -> None:
        if threading.get_ident() == self._loop_thread:
            func()
        else:
            self._loop.call_soon_threadsafe(func)


def _nothing() -> None:
    """The acknowledgement of a QoS 0 message."""


def _is_current(client: paho.Client, sock: Any) -> bool:
    """Whether `sock` is still the client's socket (a timed-out connect may have closed it)."""
    return client.socket() is sock
