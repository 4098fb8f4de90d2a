"""A meetup's live dashboard and its commands."""

from starlette.routing import Route

from console.board import pages
from console.core import routing  # noqa: F401  (the `id` path convertor)

ROUTES = [
    Route("/meetups/{meetup_id:id}", pages.dashboard, methods=["GET"]),
    Route("/meetups/{meetup_id:id}/commands/{name}", pages.command, methods=["POST"]),
]
