"""Consultation records and their commands."""

from starlette.routing import Route

from console.consultations import pages
from console.core import routing  # noqa: F401  (the `id` path convertor)

ROUTES = [
    Route("/consultations", pages.records, methods=["GET"]),
    Route("/consultations/{record_id:id}", pages.record, methods=["GET"]),
    Route("/consultations/{record_id:id}/commands/{name}", pages.record_command, methods=["POST"]),
]
