"""The live websocket."""

from starlette.routing import WebSocketRoute

from console.live.socket import live_endpoint

ROUTES = [WebSocketRoute("/live/{meetup_id:int}", live_endpoint)]
