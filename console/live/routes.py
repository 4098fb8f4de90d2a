"""The live websocket.

`/live/{meetup_id}` is listed as a route like any other, and also answered before
Starlette's middleware and router (`LiveFirst`): those layers do nothing for a websocket that
stays open for hours, but each kept a coroutine frame alive for as long as the socket lives
(about 4 KB per dashboard, measured).
"""

import re

from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.live.socket import live_endpoint

ROUTES = [WebSocketRoute("/live/{meetup_id:id}", live_endpoint)]
LIVE_PATH = re.compile(r"/live/([1-9][0-9]{0,17})")


class LiveFirst:
    """ASGI: a websocket to `/live/{id}` goes straight to the endpoint; all else to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and (match := LIVE_PATH.fullmatch(scope["path"])):
            scope["app"] = self.app  # as Starlette sets it: the endpoint reads app.state
            scope["path_params"] = {"meetup_id": int(match[1])}
            await live_endpoint(WebSocket(scope, receive, send))
            return
        await self.app(scope, receive, send)
