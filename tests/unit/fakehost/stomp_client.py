"""stomp.py driven the way the two real VDSM clients drive a host, for tests over real sockets.

`engine` style is vdsm-jsonrpc-java's: SUBSCRIBE (events, then the fixed response queue) before
CONNECT, `host:null`, one JSON object per SEND, reply-to jms.topic.vdsm_responses.
`vdsm` style is VDSM's Python client's: CONNECT first, then SUBSCRIBE to a random reply queue,
one-element arrays, a random reply-to.
"""

from __future__ import annotations

import queue
import threading
import uuid
from typing import Any, Literal

import orjson
import stomp
from stomp.protocol import Protocol12

Style = Literal["engine", "vdsm"]
EVENTS = "jms.queue.events"
REQUESTS = "jms.topic.vdsm_requests"
ENGINE_RESPONSES = "jms.topic.vdsm_responses"
TIMEOUT_S = 30.0


class _Collector(stomp.ConnectionListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.messages: queue.Queue[stomp.utils.Frame] = queue.Queue()
        self.errors: queue.Queue[stomp.utils.Frame] = queue.Queue()
        self.receipts: queue.Queue[str] = queue.Queue()
        self.heartbeats = 0
        self.heartbeat_seen = threading.Event()
        self.disconnected = threading.Event()
        self.connected_headers: dict[str, str] = {}

    def on_connected(self, frame: Any) -> None:
        self.connected_headers = dict(frame.headers)

    def on_message(self, frame: Any) -> None:
        self.messages.put(frame)

    def on_error(self, frame: Any) -> None:
        self.errors.put(frame)

    def on_receipt(self, frame: Any) -> None:
        self.receipts.put(frame.headers.get("receipt-id"))

    def on_heartbeat(self) -> None:
        self.heartbeats += 1
        self.heartbeat_seen.set()

    def on_disconnected(self) -> None:
        self.disconnected.set()


class StompRpc:
    """One stomp.py connection calling JSON-RPC verbs like a real client of `style`."""

    def __init__(
        self,
        port: int,
        style: Style,
        *,
        heartbeats: tuple[int, int] = (0, 0),
        events: int = 1,
        ssl_ca: str | None = None,
    ) -> None:
        self.style = style
        self.connection = stomp.Connection12(
            [("127.0.0.1", port)],
            heartbeats=heartbeats,
            vhost="null" if style == "engine" else None,
            reconnect_attempts_max=1,
            timeout=TIMEOUT_S,
        )
        if ssl_ca is not None:
            self.connection.set_ssl(for_hosts=[("127.0.0.1", port)], ca_certs=ssl_ca)
        self.listener = _Collector()
        self.connection.set_listener("collector", self.listener)
        self.reply_to = ENGINE_RESPONSES if style == "engine" else str(uuid.uuid4())
        self.reply_subscription = str(uuid.uuid4())
        self.event_subscriptions = [str(uuid.uuid4()) for _ in range(events)]
        self.events: list[dict[str, Any]] = []  # (subscription, message) in arrival order
        self._replies: dict[str, dict[str, Any]] = {}
        if style == "engine":
            self.connection.transport.start()
            for subscription in self.event_subscriptions:
                Protocol12.subscribe(self.connection, EVENTS, subscription)
            Protocol12.subscribe(self.connection, self.reply_to, self.reply_subscription)
            Protocol12.connect(self.connection, wait=True, with_connect_command=True)
        else:
            self.connection.connect(wait=True, with_connect_command=True)
            self.connection.subscribe(self.reply_to, self.reply_subscription)
            for subscription in self.event_subscriptions:
                self.connection.subscribe(EVENTS, subscription)
        # frames of one connection are handled in order: once this is answered, so are the
        # SUBSCRIBEs (stomp.py leaves Nagle on, so they may reach the host late otherwise)
        self.call("Host.ping2")

    def close(self) -> None:
        if self.connection.is_connected():
            self.connection.disconnect()

    def send(self, method: str, params: dict[str, Any] | None = None) -> str:
        """Send one request; returns its id."""
        request_id = str(uuid.uuid4())
        message = {"jsonrpc": "2.0", "method": method, "params": params or {}, "id": request_id}
        body = orjson.dumps(message if self.style == "engine" else [message])
        headers = {"reply-to": self.reply_to}
        content_type = None if self.style == "engine" else "application/json"
        self.connection.send(REQUESTS, body, content_type=content_type, headers=headers)
        return request_id

    def _next(self) -> dict[str, Any]:
        frame = self.listener.messages.get(timeout=TIMEOUT_S)
        body = frame.body if isinstance(frame.body, bytes) else frame.body.encode()
        assert int(frame.headers["content-length"]) == len(body)
        assert frame.headers["content-type"] == "application/json"
        message: Any = orjson.loads(body)
        if isinstance(message, list):
            (message,) = message
        message["_headers"] = dict(frame.headers)
        return dict(message)

    def response(self, request_id: str) -> dict[str, Any]:
        """Read messages until the response to `request_id`, keeping events on the way."""
        while request_id not in self._replies:
            message = self._next()
            if message.get("id") is None and "method" in message:
                self.events.append(message)
            else:
                self._replies[str(message["id"])] = message
        reply = self._replies.pop(request_id)
        assert reply["_headers"]["destination"] == self.reply_to
        assert reply["_headers"]["subscription"] == self.reply_subscription
        return reply

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Request and wait for the result; AssertionError carries an error reply."""
        reply = self.response(self.send(method, params))
        assert "error" not in reply, reply
        return reply["result"]

    def next_event(self) -> dict[str, Any]:
        """The next notification (already received or read now)."""
        while not self.events:
            message = self._next()
            if message.get("id") is None and "method" in message:
                self.events.append(message)
            else:
                self._replies[str(message["id"])] = message
        return self.events.pop(0)
