"""The websocket protocol the server runs: uvicorn's websockets-sansio, with a deadline on
every write to the peer.

uvicorn's own protocol waits without limit for a peer to take what was written (a send awaits
the transport's `resume_writing`), and closes a connection by flushing what is buffered first.
A client that stops reading without going away (a frozen tab, a network that hangs) would keep
its writer, its socket and its buffers forever, and the close that should release it (1013
when it falls behind, 1008, 1012) could never be written. Here a send that cannot hand its
message to the transport within LIVE_SEND_TIMEOUT_SECONDS, and a close whose buffered data is
not taken within that time, abort the connection: the kernel drops it (RST) and the endpoint's
reads and writes end with a disconnect, as when the browser goes away.

Frames written beside ASGI. The hub renders each event once per audience; sending that text
through ASGI would have every socket go through Starlette's `WebSocket.send`, the exception
middleware's wrapper and this protocol's `send`, and frame and encode it again. So the
protocol offers the app, as the ASGI extension `console.frames`, a `write` that puts a frame
framed once (`text_frame`) on the transport at once when nothing stands in its way (the
handshake done, no close sent, the transport not paused); otherwise it says no and the frame
goes the ASGI way, with the deadline above.

Light for hours. A dashboard stays connected all afternoon, idle most of it: the messages
from the browser wait in a `Mailbox` (nothing allocated while empty) rather than an
`asyncio.Queue`, and the handshake's parsed request and response are let go once used.

Run it with `--ws console.live.protocol:LiveWebSocketProtocol` (`python -m console serve`, the
Procfile and the tests' servers do).
"""

import asyncio
import socket
import struct

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from console import settings
from console.live.mailbox import Mailbox


def reset(transport: asyncio.Transport) -> None:
    """Drop the connection now: RST, buffers discarded. (A plain `abort` closes the socket, and
    the kernel would still try for minutes to deliver what it holds to a peer that never reads.)
    """
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.fileno() >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class _ClosingWithDeadline:
    """The transport as the protocol sees it: a close that has not flushed in time aborts."""

    def __init__(
        self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop, seconds: float
    ) -> None:
        self._transport = transport
        self._loop = loop
        self._seconds = seconds
        self._abort: asyncio.TimerHandle | None = None
        self._lost = False

    def __getattr__(self, name: str):
        return getattr(self._transport, name)

    def close(self) -> None:
        self._transport.close()
        if self._abort is None and not self._lost:
            self._abort = self._loop.call_later(self._seconds, self.reset)

    def reset(self) -> None:
        reset(self._transport)

    def lost(self) -> None:
        self._lost = True
        if self._abort is not None:
            self._abort.cancel()


EXTENSION = "console.frames"


def text_frame(text: str) -> bytes:
    """A complete, unmasked, uncompressed text frame as a server sends it."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Mailbox()  # what the browser sent, for the app's `receive`

    def handle_connect(self, event) -> None:
        super().handle_connect(event)
        # The handshake as parsed, kept by uvicorn and by the parser's frame for the socket's
        # life: the scope has the headers the app reads, and the app drops those once read.
        event.headers.clear()
        self.request = None
        if getattr(self, "scope", None) is not None and not self.close_sent:
            self.scope["extensions"][EXTENSION] = {"write": self.write_frame}

    def write_frame(self, frame: bytes) -> bool:
        """Write a frame made by `text_frame` now, if the socket can take it without waiting;
        False (nothing written) if it cannot: the caller sends it the ASGI way instead."""
        if (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.writable.is_set()
            and self.conn.state is State.OPEN
            and not self._raw.is_closing()
        ):
            self._raw.write(frame)
            return True
        return False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        seconds = settings.LIVE_SEND_TIMEOUT_SECONDS
        self._raw = transport  # for `write_frame`, without the wrapper's attribute lookup
        super().connection_made(_ClosingWithDeadline(transport, self.loop, seconds))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport.lost()
        super().connection_lost(exc)

    async def send(self, message: dict) -> None:
        if not self.writable.is_set():
            try:
                await asyncio.wait_for(self.writable.wait(), settings.LIVE_SEND_TIMEOUT_SECONDS)
            except TimeoutError:
                self.transport.reset()  # connection_lost follows: the app reads a disconnect
                raise ClientDisconnected() from None
        await super().send(message)
        if message["type"] == "websocket.accept":
            self.response = None  # sent; kept by uvicorn only to be sent
