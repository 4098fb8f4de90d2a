"""The anchor: a bare `websockets` server that broadcasts what it is told to every socket.

Dashboards connect to `/`; the benchmark connects once to `/publish` and sends "<seq> <size>";
the server broadcasts a message of exactly <size> bytes ending in the same `#live-seq` marker
the console's frames carry, so the same client measures both. Like the console, it does not
compress.

    python bench/bare_server.py <port>
"""

import asyncio
import sys

from websockets.asyncio.server import broadcast, serve

clients = set()


def message(seq: int, size: int) -> str:
    marker = f'<div id="live-seq" data-seq="{seq}" hx-swap-oob="true" hidden></div>'
    return "x" * max(0, size - len(marker)) + marker


async def handler(ws) -> None:
    if ws.request.path == "/publish":
        async for text in ws:
            seq, size = map(int, text.split())
            broadcast(clients, message(seq, size))
        return
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_size=None, compression=None):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
