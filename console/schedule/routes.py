"""The year's calendar, and creating sessions."""

from starlette.routing import Route

from console.schedule import calendar

ROUTES = [
    Route("/meetups", calendar.create, methods=["POST"]),
    Route("/schedule", calendar.view, methods=["GET"]),
]
