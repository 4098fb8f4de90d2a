"""The websocket endpoint `/live/{meetup_id}`: authenticated, origin-checked, resumable.

Protocol. The server sends HTML frames that htmx's ws extension swaps out of band; every
frame ends with `#live-seq` carrying the last seq it reflects. On every (re)connect the
browser sends `{"resume": <last seq it rendered>}` first. The server has already subscribed
the socket, so nothing can fall between the two; it then replays the missed events from the
database (or, past LIVE_REPLAY_LIMIT, re-sends whole panels) up to the state it snapshotted,
and from then on forwards queued frames, skipping any seq already sent.

Limits. A message from the browser may be 64 KiB at most (uvicorn's `ws_max_size`: 1009), and
a socket sending more than INBOUND_LIMIT of them within INBOUND_WINDOW_SECONDS is closed with
1008. Every send has a deadline, LIVE_SEND_TIMEOUT_SECONDS, kept by the websocket protocol the
server runs (`console.live.protocol`): a client that stops reading is dropped, not waited for.
"""

import asyncio
import contextlib
import json
import re
import time

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from console.core.errors import Refused
from console.live.hub import CLOSE, HEARTBEAT, Hub, LiveMeetup, Subscriber
from console.live.protocol import EXTENSION
from console.security import auth
from console.security.permissions import Action, allowed

POLICY_VIOLATION = 1008
RESUME_WAIT_SECONDS = 5.0
MAX_BATCH = 64  # frames sent as one message when a socket has fallen behind
SEQ = re.compile(r"[0-9]{1,18}")
# The browser sends one message per connection; far more is a client gone wrong, or abuse.
INBOUND_LIMIT = 20
INBOUND_WINDOW_SECONDS = 10.0


def heartbeat_frame() -> str:
    return '<div id="live-heartbeat" hx-swap-oob="true" hidden></div>'


async def live_endpoint(ws: WebSocket) -> None:
    hub: Hub = ws.app.state.hub
    found = await auth.current(ws)
    if (
        found is None
        or not auth.same_origin(ws)
        or not allowed(found[0].role, Action.VIEW_DASHBOARD)
    ):
        await ws.close(code=POLICY_VIOLATION)  # before accept: the handshake gets HTTP 403
        return
    # Only what the socket needs for its life: not the two ORM instances, nor the handshake's
    # headers (a few KB a socket, for hours).
    role, token_hash = found[0].role, found[1].token_hash
    del found
    ws.scope["headers"].clear()
    try:
        live = await hub.live(int(ws.path_params["meetup_id"]))
    except Refused:
        await ws.close(code=POLICY_VIOLATION)
        return
    await ws.accept()
    sub = hub.subscribe(live, role, token_hash)
    try:
        after = await _resume_point(ws)
        await _catch_up(ws, hub, live, sub, after)
        sub.direct = ws.scope.get("extensions", {}).get(EXTENSION, {}).get("write")
        # One task writes; this one reads until the browser goes away or the writer closed the
        # socket (which queues the disconnect this read returns on).
        writer = asyncio.create_task(_write(ws, sub))
        try:
            await _drain(ws, sub)
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await writer
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(live, sub)


async def _resume_point(ws: WebSocket) -> int:
    """The seq the browser last rendered: its resume message, else the page's `after`.

    A first message that is no `{"resume": <seq>}` (binary, not JSON, not a whole number) is
    ignored rather than refused: the page's `after` is as good a starting point, and the
    socket stays open. `after` is ASCII digits only; anything else means "from the start"."""
    with anyio.move_on_after(RESUME_WAIT_SECONDS):
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            value = json.loads(message.get("text") or "").get("resume")
            if type(value) is int and value >= 0:
                return value
    after = ws.query_params.get("after", "")
    return int(after) if SEQ.fullmatch(after) else 0


async def _catch_up(ws: WebSocket, hub: Hub, live: LiveMeetup, sub: Subscriber, after: int) -> None:
    if after > live.state.seq:
        # The browser saw events this worker has not folded yet (another worker served it).
        await hub.catch_up(live.meetup.id)
    snapshot = live.state
    sub.sent_seq = snapshot.seq
    if after == snapshot.seq:
        return
    frames = await hub.catch_up_frames(live, sub.role, after, snapshot)
    for start in range(0, len(frames), MAX_BATCH):
        await ws.send_text("".join(frames[start : start + MAX_BATCH]))


async def _write(ws: WebSocket, sub: Subscriber) -> None:
    """Forward queued frames. A socket that fell behind gets everything waiting in one
    message (frames are out-of-band swaps applied in order, the last `#live-seq` wins), so a
    busy server sends fewer, larger messages instead of falling further behind."""
    while True:
        batch = [await sub.queue.get()]
        sub.busy = True  # the hub queues behind these rather than writing past them
        try:
            if await _write_batch(ws, sub, batch):
                return
        finally:
            sub.busy = False


async def _write_batch(ws: WebSocket, sub: Subscriber, batch: list) -> bool:
    """Send one batch (with what queued behind it); True once the socket is closed."""
    while len(batch) < MAX_BATCH and not sub.queue.empty():
        batch.append(sub.queue.get_nowait())
    parts = []
    for seq, frame in batch:
        if seq is CLOSE:
            await _send(ws, parts)
            await ws.close(code=frame)
            return True
        if seq is HEARTBEAT:  # the hub checked the login (`Hub.beat`)
            parts.append(heartbeat_frame())
        elif seq > sub.sent_seq:  # else already replayed on resume
            parts.append(frame)
            sub.sent_seq = seq
    await _send(ws, parts)
    return False


async def _send(ws: WebSocket, parts: list[str]) -> None:
    if parts:
        await ws.send_text("".join(parts))


async def _drain(ws: WebSocket, sub: Subscriber) -> None:
    """Read until the browser goes away. Later resume messages need no answer; a client that
    sends more than INBOUND_LIMIT messages within INBOUND_WINDOW_SECONDS is closed (1008)."""
    window, count = time.monotonic(), 0  # a fixed window: two numbers a socket, not a deque
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        now = time.monotonic()
        if now - window >= INBOUND_WINDOW_SECONDS:
            window, count = now, 0
        count += 1
        if count > INBOUND_LIMIT and not sub.overflowed:
            sub.close(POLICY_VIOLATION)  # through the writer, the one task that sends
