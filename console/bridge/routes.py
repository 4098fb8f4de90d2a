"""The platform's webhook and contract (public, signed), and the manager's health panel."""

from starlette.routing import Route

from console.bridge import pages, webhook
from console.core import routing  # noqa: F401  (the `id` path convertor)

ROUTES = [
    Route("/platform/events", webhook.receive, methods=["POST"]),
    Route("/platform/openapi.json", pages.openapi, methods=["GET"]),
    Route("/meetups/{meetup_id:id}/platform/health", pages.health_panel, methods=["GET"]),
]
