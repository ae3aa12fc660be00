"""Blocking frame reading from a buffered socket file: the client side, bodies read in one piece."""

from __future__ import annotations

from io import BufferedReader

from vmmonbench.stomp.frames import MAX_HEADER_BYTES, Frame, FrameError, content_length, parse_head

_BLANK = (b"\n", b"\r\n")
CLOSED = "connection closed mid-message"
_NUL_SCAN = 1 << 16


def read_frame(stream: BufferedReader, max_body_bytes: int) -> Frame | None:
    """The next frame, heart-beats skipped; None at a clean end of stream.

    Raises FrameError (always fatal here) on garbage, on a frame cut short, or on a body longer
    than `max_body_bytes`, so a hostile peer never makes the reader hold more than that.
    """
    line = stream.readline(MAX_HEADER_BYTES)
    while line in _BLANK:
        line = stream.readline(MAX_HEADER_BYTES)
    if not line:
        return None
    head = [line]
    size = len(line)
    while line not in _BLANK:
        if not line.endswith(b"\n") or size > MAX_HEADER_BYTES:
            message = "STOMP frame head too long" if size > MAX_HEADER_BYTES else CLOSED
            raise FrameError(message, fatal=True)
        line = stream.readline(MAX_HEADER_BYTES)
        if not line:
            raise FrameError(CLOSED, fatal=True)
        size += len(line)
        head.append(line)
    try:
        command, headers = parse_head(b"".join(head[:-1])[:-1])
        length = content_length(headers)
    except FrameError as exc:
        raise FrameError(f"bad STOMP frame: {exc}", fatal=True, headers=exc.headers) from None
    if length is None:
        body = _read_to_nul(stream, max_body_bytes)
    else:
        if length > max_body_bytes:
            message = f"STOMP frame body of {length} bytes is over {max_body_bytes}"
            raise FrameError(message, fatal=True)
        body = stream.read(length)
        end = stream.read(1)
        if len(body) < length or not end:
            raise FrameError(CLOSED, fatal=True)
        if end != b"\0":
            raise FrameError("STOMP frame body not NUL-terminated", fatal=True)
    return Frame(command, headers, body, size + len(body) + 1)


def _read_to_nul(stream: BufferedReader, max_body_bytes: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        buffered = stream.peek(_NUL_SCAN)
        if not buffered:
            raise FrameError(CLOSED, fatal=True)
        end = buffered.find(b"\0")
        taken = end if end >= 0 else len(buffered)
        size += taken
        if size > max_body_bytes:
            raise FrameError(f"frame body over {max_body_bytes} bytes", fatal=True)
        parts.append(stream.read(taken))
        if end >= 0:
            stream.read(1)
            return b"".join(parts)
