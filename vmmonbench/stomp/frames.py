"""STOMP 1.2 frames as VDSM speaks them: encoding with escapes, an incremental bounded parser."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# the commands VDSM's detector and parser know (yajsonrpc/stomp.py); STOMP's `STOMP` is not one
COMMANDS = frozenset(
    {
        "CONNECT",
        "CONNECTED",
        "DISCONNECT",
        "ERROR",
        "MESSAGE",
        "RECEIPT",
        "SEND",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
    }
)
LONGEST_COMMAND = max(len(command) for command in COMMANDS)
HEARTBEAT = b"\n"
MAX_HEADER_BYTES = 64 << 10  # command and headers of one frame; the engine's own limit is 1 KiB

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", ":": "\\c"}
_UNESCAPES = {"\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\c": ":"}
_ESCAPE = re.compile(r"[\\\n\r:]")
_UNESCAPE = re.compile(r"\\.")
_HEAD_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame: command, headers (the first of repeated headers wins), body."""

    command: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    wire_size: int = 0  # bytes the frame took on the wire, when read from one


class FrameError(Exception):
    """A frame that cannot be parsed. `fatal`: the stream cannot be resynchronised after it."""

    def __init__(
        self, message: str, *, fatal: bool = False, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.fatal = fatal
        self.headers: Mapping[str, str] = headers or {}


def escape(text: str) -> str:
    """STOMP 1.2 header escaping (backslash, newline, carriage return, colon)."""
    return _ESCAPE.sub(lambda match: _ESCAPES[match.group()], text)


def unescape(text: str) -> str:
    """The inverse of `escape`; an undefined escape is kept as it is (lenient, like VDSM)."""
    if "\\" not in text:
        return text
    return _UNESCAPE.sub(lambda match: _UNESCAPES.get(match.group(), match.group()), text)


def encode(
    command: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    body: bytes | memoryview = b"",
) -> bytes:
    """One frame's bytes; `content-length` is added whenever there is a body, as VDSM does."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    lines = [escape(command)]
    lines.extend(f"{escape(name)}:{escape(value)}" for name, value in items)
    if body:
        lines.append(f"content-length:{len(body)}")
    head = ("\n".join(lines) + "\n\n").encode()
    return b"".join((head, body, b"\0"))  # one copy of a large body


def is_stomp_start(prefix: bytes) -> bool:
    """Whether a connection's first bytes begin with a STOMP command VDSM knows (its detector)."""
    text = prefix.lstrip(b"\r\n")
    return any(text.startswith(command.encode()) for command in COMMANDS)


def parse_head(block: bytes) -> tuple[str, dict[str, str]]:
    """Command and headers of a frame head (without the blank line); raises FrameError."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError("frame head is not UTF-8") from None
    lines = text.split("\n")
    command = unescape(lines[0].rstrip("\r"))
    headers: dict[str, str] = {}
    for raw in lines[1:]:
        line = raw.rstrip("\r")
        name, colon, value = line.partition(":")  # lenient: the engine never escapes colons
        if not colon:
            raise FrameError(f"header line without a colon: {line[:40]!r}", headers=headers)
        headers.setdefault(unescape(name), unescape(value))
    return command, headers


def content_length(headers: Mapping[str, str]) -> int | None:
    """The declared body length, None without one; raises FrameError when it is not a count."""
    value = headers.get("content-length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise FrameError(f"bad content-length {value[:20]!r}", fatal=True, headers=headers)
    return int(value)


class FrameParser:
    """Splits a byte stream into frames; heart-beats (blank lines) between frames are counted.

    Memory stays bounded: a head longer than MAX_HEADER_BYTES is fatal, and a body longer than
    `max_body_bytes` is skipped without being held (a non-fatal FrameError reports it).
    """

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self.heartbeats = 0
        self._buffer = bytearray()
        self._head: tuple[str, dict[str, str]] | None = None
        self._length: int | None = None
        self._scanned = 0  # body bytes already searched for the NUL
        self._discard = 0  # bytes of an oversized body still to skip
        self._discard_to_nul = False

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Frames (or errors) completed by `data`, in order."""
        self._buffer += data
        found: list[Frame | FrameError] = []
        while True:
            try:
                item = self._next()
            except FrameError as exc:
                found.append(exc)
                if exc.fatal:
                    self._buffer.clear()
                    return found
                continue
            if item is None:
                return found
            found.append(item)

    def _next(self) -> Frame | None:
        if self._discarding():
            return None
        if self._head is None and not self._read_head():
            return None
        assert self._head is not None
        command, headers = self._head
        if self._length is not None:
            if len(self._buffer) < self._length + 1:
                return None
            if self._buffer[self._length] != 0:
                self._reset()
                raise FrameError("frame body not followed by NUL", fatal=True, headers=headers)
            body = bytes(self._buffer[: self._length])
            del self._buffer[: self._length + 1]
        else:
            end = self._buffer.find(b"\0", self._scanned)
            if end < 0:
                self._scanned = len(self._buffer)
                if self._scanned > self.max_body_bytes:
                    self._reset()
                    self._discard_to_nul = True
                    message = f"frame body over {self.max_body_bytes} bytes"
                    raise FrameError(message, headers=headers)
                return None
            body = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
        self._reset()
        return Frame(command, headers, body)

    def _read_head(self) -> bool:
        start = 0
        while start < len(self._buffer) and self._buffer[start] in b"\r\n":
            if self._buffer[start] == 0x0A:
                self.heartbeats += 1
            start += 1
        if start:
            del self._buffer[:start]
        match = _HEAD_END.search(self._buffer, 0, MAX_HEADER_BYTES + 4)
        if match is None:
            if len(self._buffer) > MAX_HEADER_BYTES:
                raise FrameError(f"frame head over {MAX_HEADER_BYTES} bytes", fatal=True)
            return False
        block = bytes(self._buffer[: match.start()])
        del self._buffer[: match.end()]
        try:
            command, headers = parse_head(block)
        except FrameError as exc:
            self._discard_to_nul = True  # the body still follows: skip to its NUL
            raise exc from None
        length = content_length(headers)
        if length is not None and length > self.max_body_bytes:
            self._discard = length + 1
            raise FrameError(f"frame body over {self.max_body_bytes} bytes", headers=headers)
        self._head = (command, headers)
        self._length = length
        return True

    def _discarding(self) -> bool:
        if self._discard:
            dropped = min(self._discard, len(self._buffer))
            del self._buffer[:dropped]
            self._discard -= dropped
            return self._discard > 0
        if self._discard_to_nul:
            end = self._buffer.find(b"\0")
            if end < 0:
                self._buffer.clear()
                return True
            del self._buffer[: end + 1]
            self._discard_to_nul = False
        return False

    def _reset(self) -> None:
        self._head = None
        self._length = None
        self._scanned = 0


def negotiate_heartbeat(value: str | None) -> tuple[int, int]:
    """VDSM's answer to a client's `heart-beat:cx,cy`: (server sends every, expects every) ms.

    The server sends every cy ms and expects the client every cx ms; zero stays zero, anything
    else is raised to at least 1000 ms. A missing or unreadable header means no heart-beats.
    """
    if value is None:
        return 0, 0
    parts = value.split(",")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        return 0, 0
    client_sends, client_wants = (int(part) for part in parts)
    return _at_least_a_second(client_wants), _at_least_a_second(client_sends)


def _at_least_a_second(milliseconds: int) -> int:
    return 0 if milliseconds == 0 else max(1000, milliseconds)
