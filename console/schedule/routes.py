"""The year's calendar, creating sessions, and removing one created by mistake."""

from starlette.routing import Route

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.schedule import calendar, removal

ROUTES = [
    Route("/meetups", calendar.create, methods=["POST"]),
    Route("/meetups/{meetup_id:id}/delete", removal.delete_meetup, methods=["POST"]),
    Route("/schedule", calendar.view, methods=["GET"]),
]
