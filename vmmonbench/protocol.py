"""JSON-RPC 2.0 over TCP, one message per line: the framing shared by fake hosts and clients."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import orjson

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
NO_SUCH_VM = 1  # VDSM's "noVM" error code

MAX_REQUEST_LINE = 1 << 20  # a request never needs more than 1 MiB
MAX_RESPONSE_LINE = 1 << 31  # a 100 000-VM poll stays far below this
# the largest reply a host may send before its inventory is known (Sim.info, a ping)
MAX_CONTROL_REPLY = 1 << 20
# per-VM reply bytes, measured on the largest replies (Sim.snapshot, Host.getAllVmStats) at
# 0..16 vNICs and disks (about 1.1 KB + 0.33 KB per device), with twice that as headroom
REPLY_BYTES_PER_VM = 3072
REPLY_BYTES_PER_DEVICE = 1024
REPLY_BYTES_FIXED = 1 << 20

EVENT_PREFIX = "|virt|VM_status|"


class WireProtocol(StrEnum):
    """How JSON-RPC messages are framed on a fake host's port (both are served on each)."""

    LINE = "line"  # one message per line: vmmonbench's own
    STOMP = "stomp"  # STOMP 1.2 frames: what VDSM and the oVirt engine speak


def max_reply_bytes(vms: int, vnics: int, disks: int) -> int:
    """The largest reply a host of this inventory can legitimately send, with headroom."""
    per_vm = REPLY_BYTES_PER_VM + REPLY_BYTES_PER_DEVICE * (vnics + disks)
    return REPLY_BYTES_FIXED + vms * per_vm


class ProtocolError(Exception):
    """A line that is not a valid JSON-RPC 2.0 message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def encode(message: dict[str, Any]) -> bytes:
    """Serialize one message as a line."""
    return orjson.dumps(message) + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """Parse one line into a message object; raises ProtocolError with the JSON-RPC code."""
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(PARSE_ERROR, f"parse error: {exc}") from None
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise ProtocolError(INVALID_REQUEST, "not a JSON-RPC 2.0 message object")
    return message


def request(request_id: int, method: str, params: dict[str, Any] | None = None) -> bytes:
    """A request line."""
    return encode({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})


def result(request_id: Any, value: Any) -> bytes:
    """A success response line."""
    return encode({"jsonrpc": "2.0", "id": request_id, "result": value})


def error(request_id: Any, code: int, message: str) -> bytes:
    """An error response line."""
    return encode({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def notification(method: str, params: dict[str, Any]) -> bytes:
    """A notification line (no id), e.g. a VM status event."""
    return encode({"jsonrpc": "2.0", "method": method, "params": params})


def status_event_method(vm_id: str) -> str:
    """The event method name for one VM: `|virt|VM_status|<vmId>`."""
    return EVENT_PREFIX + vm_id
