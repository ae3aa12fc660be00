"""The line protocol on one connection: one JSON-RPC message per line, events pushed as lines."""

from __future__ import annotations

import asyncio
import contextlib

from vmmonbench.fakehost.dispatch import answer
from vmmonbench.fakehost.peer import PeerConnection
from vmmonbench.fakehost.wire import parse_request, read_lines


class LineConnection(PeerConnection):
    """A line-protocol client: replies and events are lines written as they are."""

    def send(self, data: bytes) -> None:
        """Push one event line without waiting."""
        self.queue(data)

    async def reply(self, line: bytes) -> None:
        """Write a reply line and wait for room."""
        await self.write_reply(line)

    def cut(self, line: bytes) -> None:
        """Half a reply, then close."""
        self.queue(line[: len(line) // 2])
        self.close()


async def serve_lines(
    connection: LineConnection, reader: asyncio.StreamReader, first: bytes
) -> None:
    """Answer every request line until the peer goes or the connection is closed."""
    methods = connection.host.methods
    async with contextlib.aclosing(read_lines(reader, first)) as lines:
        async for line in lines:
            await answer(connection.host, connection, connection, parse_request(methods, line))
            if connection.closed:
                break
