"""Participants."""

from starlette.routing import Route

from console.session import pages

ROUTES = [
    Route("/participants", pages.participants, methods=["GET"]),
    Route("/participants", pages.add_participant, methods=["POST"]),
]
