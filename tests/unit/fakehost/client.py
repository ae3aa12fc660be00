"""A small blocking JSON-RPC line client, to talk to fake hosts over real sockets in tests."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Any

import orjson

from vmmonbench import protocol


class RpcCallError(Exception):
    """An error reply: JSON-RPC code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RpcClient:
    """One connection; replies are matched by id, notifications kept in `events` in order."""

    def __init__(self, port: int, address: str = "127.0.0.1", timeout: float = 30.0) -> None:
        self.sock = socket.create_connection((address, port), timeout=timeout)
        self._file = self.sock.makefile("rb")
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_line(self) -> bytes:
        """One raw line (b"" at end of stream)."""
        return self._file.readline()

    def read_message(self) -> dict[str, Any]:
        line = self.read_line()
        if not line:
            raise ConnectionError("connection closed by the fake host")
        message: dict[str, Any] = orjson.loads(line)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None) -> int:
        """Send a request without waiting; returns its id."""
        self._next_id += 1
        self.sock.sendall(protocol.request(self._next_id, method, params))
        return self._next_id

    def response(self, request_id: Any) -> dict[str, Any]:
        """Read until the response with this id arrives, keeping notifications on the way."""
        while True:
            message = self.read_message()
            if "id" not in message:
                self.events.append(message)
            elif message["id"] == request_id:
                return message

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Request and wait for the result; RpcCallError on an error reply."""
        reply = self.response(self.send(method, params))
        if "error" in reply:
            raise RpcCallError(reply["error"]["code"], reply["error"]["message"])
        return reply["result"]

    def next_event(self) -> dict[str, Any]:
        """The next notification (already received or read now)."""
        if self.events:
            return self.events.pop(0)
        while True:
            message = self.read_message()
            if "id" not in message:
                return message
