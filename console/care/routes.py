"""Care's pages: follow-ups, block decisions, step-up plans, the liaison pack."""

from starlette.routing import Route

from console.care import liaison_pages, pages, plan_pages
from console.core import routing  # noqa: F401  (the `id` path convertor)

ROUTES = [
    Route("/care", pages.mine, methods=["GET"]),
    Route("/care/follow-ups", pages.create, methods=["POST"]),
    Route("/care/follow-ups/{follow_up_id:id}/done", pages.close, methods=["POST"]),
    Route("/care/follow-ups/{follow_up_id:id}/hand-over", pages.hand_over, methods=["POST"]),
    Route("/care/overdue", pages.overdue, methods=["GET"]),
    Route("/care/block-decisions/{decision_id:id}/decline", pages.decline_block, methods=["POST"]),
    Route("/care/participants/{participant_id:id}", plan_pages.participant, methods=["GET"]),
    Route("/care/participants/{participant_id:id}/plan", plan_pages.open_plan, methods=["POST"]),
    Route("/care/participants/{participant_id:id}/stages", plan_pages.add_stage, methods=["POST"]),
    Route(
        "/care/participants/{participant_id:id}/plan/close",
        plan_pages.close_plan,
        methods=["POST"],
    ),
    Route("/care/participants/{participant_id:id}/need", plan_pages.mark_need, methods=["POST"]),
    Route(
        "/care/participants/{participant_id:id}/need/clear",
        plan_pages.clear_need,
        methods=["POST"],
    ),
    Route("/care/stages/{stage_id:id}/result", plan_pages.record_stage, methods=["POST"]),
    Route("/care/leaks", pages.leaks, methods=["GET"]),
    Route("/care/leaks", pages.record_leak, methods=["POST"]),
    Route("/care/leaks/{case_id:id}/reports", pages.follow_leak, methods=["POST"]),
    Route("/care/liaison", liaison_pages.preview, methods=["GET"]),
    Route("/care/liaison/pdf", liaison_pages.export, methods=["POST"]),
]
