"""A meetup's live dashboard and its commands."""

from starlette.routing import Route

from console.board import pages

ROUTES = [
    Route("/meetups/{meetup_id:int}", pages.dashboard, methods=["GET"]),
    Route("/meetups/{meetup_id:int}/commands/{name}", pages.command, methods=["POST"]),
]
