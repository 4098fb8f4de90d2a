"""Care's pages: follow-ups, block decisions, step-up plans, the liaison pack."""

from starlette.routing import Route

from console.care import pages
from console.core import routing  # noqa: F401  (the `id` path convertor)

ROUTES = [
    Route("/care", pages.mine, methods=["GET"]),
    Route("/care/follow-ups", pages.create, methods=["POST"]),
    Route("/care/follow-ups/{follow_up_id:id}/done", pages.close, methods=["POST"]),
    Route("/care/follow-ups/{follow_up_id:id}/hand-over", pages.hand_over, methods=["POST"]),
    Route("/care/overdue", pages.overdue, methods=["GET"]),
    Route("/care/block-decisions/{decision_id:id}/decline", pages.decline_block, methods=["POST"]),
]
