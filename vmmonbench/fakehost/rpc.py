"""Method table entries, JSON-RPC errors and parameter checks shared by the fake host's methods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from vmmonbench.protocol import INVALID_PARAMS


class RpcError(Exception):
    """A JSON-RPC error reply: code and one-line message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Subscriber(Protocol):
    """A connection that can be pushed event lines without waiting."""

    def send(self, data: bytes) -> None:
        """Queue one line for the peer."""


class MethodKind(Enum):
    """How the server treats a method."""

    QUERY = "query"  # answered at once; response faults apply
    COMMAND = "command"  # answered after the command latency, never blocking other requests
    SIM = "sim"  # simulation control: never faulted


SyncHandler = Callable[[Mapping[str, Any], Subscriber], Any]
AsyncHandler = Callable[[Mapping[str, Any], Subscriber], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Method:
    """One wire method: its handler and kind (COMMAND handlers are coroutines)."""

    kind: MethodKind
    handler: SyncHandler | None = None
    command: AsyncHandler | None = None


def string_param(params: Mapping[str, Any], key: str) -> str:
    """A required string parameter."""
    value = params.get(key)
    if not isinstance(value, str):
        raise RpcError(INVALID_PARAMS, f"params.{key} must be a string")
    return value


def int_param(params: Mapping[str, Any], key: str, *, minimum: int | None = None) -> int:
    """A required integer parameter (booleans are not integers here)."""
    value = params.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RpcError(INVALID_PARAMS, f"params.{key} must be an integer")
    if minimum is not None and value < minimum:
        raise RpcError(INVALID_PARAMS, f"params.{key} must be at least {minimum}")
    return value


def map_param(params: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A required object parameter."""
    value = params.get(key)
    if not isinstance(value, dict):
        raise RpcError(INVALID_PARAMS, f"params.{key} must be an object")
    return value


def strings_param(params: Mapping[str, Any], key: str, *, required: bool = True) -> list[str]:
    """A list-of-strings parameter (an absent optional one is empty)."""
    value = params.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RpcError(INVALID_PARAMS, f"params.{key} must be a list of strings")
    return value
