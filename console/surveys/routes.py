"""The survey page (public, by token) and the surveys' staff pages."""

from starlette.routing import Route

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.surveys import pages, public

ROUTES = [
    Route("/survey/{token}", public.answer_form, methods=["GET"]),
    Route("/survey/{token}", public.answer, methods=["POST"]),
    Route("/surveys", pages.questionnaires, methods=["GET"]),
    Route("/surveys", pages.draft, methods=["POST"]),
    Route("/surveys/{questionnaire_id:id}/approve", pages.approve, methods=["POST"]),
    Route("/surveys/{questionnaire_id:id}/preview", pages.preview, methods=["GET"]),
    Route("/meetups/{meetup_id:id}/survey", pages.session_survey, methods=["GET"]),
    Route("/meetups/{meetup_id:id}/survey", pages.attach, methods=["POST"]),
    Route("/meetups/{meetup_id:id}/survey/qr.svg", pages.qr_code, methods=["GET"]),
    Route("/meetups/{meetup_id:id}/survey/entry", pages.entry_form, methods=["GET"]),
    Route("/meetups/{meetup_id:id}/survey/entry", pages.enter, methods=["POST"]),
]
