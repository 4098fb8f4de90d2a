"""A participant's moderation history, the blocks, the reports to the ward."""

from starlette.routing import Route

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.moderation import pages

ROUTES = [
    Route("/participants/{participant_id:id}/history", pages.history, methods=["GET"]),
    Route("/blocks", pages.blocks, methods=["GET"]),
    Route("/reports", pages.ward_reports, methods=["GET"]),
]
