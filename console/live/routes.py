"""The live websocket."""

from starlette.routing import WebSocketRoute

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.live.socket import live_endpoint

ROUTES = [WebSocketRoute("/live/{meetup_id:id}", live_endpoint)]
