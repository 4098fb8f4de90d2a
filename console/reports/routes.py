"""Post-session summaries and monthly reports, with their downloads."""

from starlette.routing import Route

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.reports import disposal_pages, pages, roster, survey_pages

ROUTES = [
    Route("/meetups/{meetup_id:id}/summary", pages.summary, methods=["GET"]),
    # GET for the ward's and the publication variants; POST (with the take-out's reason) for
    # the manager's.
    Route(
        "/meetups/{meetup_id:id}/summary.{fmt:export}",
        pages.summary_export,
        methods=["GET", "POST"],
    ),
    Route("/meetups/{meetup_id:id}/survey/results", survey_pages.results, methods=["GET"]),
    Route("/surveys/trends", survey_pages.trends, methods=["GET"]),
    Route("/monthly", pages.monthly_index, methods=["GET"]),
    Route("/monthly/{year:int}/{month:int}", pages.monthly_report, methods=["GET"]),
    Route(
        "/monthly/{year:int}/{month:int}/v{version:id}.{fmt:export}",
        pages.monthly_export,
        methods=["GET", "POST"],
    ),
    Route("/monthly/{year:int}/{month:int}/text", pages.monthly_text, methods=["POST"]),
    Route("/monthly/{year:int}/{month:int}/finalise", pages.monthly_finalise, methods=["POST"]),
    Route("/monthly/{year:int}/{month:int}/correct", pages.monthly_correct, methods=["POST"]),
    Route("/staff/roster.pdf", roster.roster_pdf, methods=["POST"]),
    Route("/disposal", disposal_pages.disposal_page, methods=["GET"]),
    Route("/disposal/prepare", disposal_pages.prepare, methods=["POST"]),
    Route("/disposal/{disposal_id:id}/approve", disposal_pages.approve, methods=["POST"]),
    Route("/disposal/{disposal_id:id}/withdraw", disposal_pages.withdraw, methods=["POST"]),
    Route("/disposal/handover.pdf", disposal_pages.handover_pdf, methods=["POST"]),
    Route("/disposal/carry-out", disposal_pages.carry_out, methods=["POST"]),
    Route("/disposal/certificate.pdf", disposal_pages.certificate, methods=["GET"]),
]
