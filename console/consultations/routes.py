"""Consultation records and their commands."""

from starlette.routing import Route

from console.consultations import pages

ROUTES = [
    Route("/consultations", pages.records, methods=["GET"]),
    Route("/consultations/{record_id:int}", pages.record, methods=["GET"]),
    Route("/consultations/{record_id:int}/commands/{name}", pages.record_command, methods=["POST"]),
]
