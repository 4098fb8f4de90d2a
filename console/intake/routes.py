"""Applying, the entry gate (both public), and the intake's staff pages."""

from starlette.routing import Route

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.intake import pages, public, reception_pages

ROUTES = [
    Route("/apply", public.apply_index, methods=["GET"]),
    Route("/apply/{service}", public.apply_form, methods=["GET"]),
    Route("/apply/{service}", public.apply, methods=["POST"]),
    Route("/entry", public.entry_index, methods=["GET"]),
    Route("/entry/{meetup_id:id}", public.entry_form, methods=["GET"]),
    Route("/entry/{meetup_id:id}", public.entry, methods=["POST"]),
    Route("/intake", pages.applications, methods=["GET"]),
    Route("/intake/new", pages.new_application, methods=["GET"]),
    Route("/intake/new", pages.enter_application, methods=["POST"]),
    Route("/intake/people/{person_id:id}", pages.person, methods=["GET"]),
    Route("/intake/people/{person_id:id}/credentials", pages.prepare_credentials, methods=["POST"]),
    Route(
        "/intake/credentials/{notice_id:id}/confirm", pages.confirm_credentials, methods=["POST"]
    ),
    Route("/intake/applications/{application_id:id}/release", pages.release, methods=["POST"]),
    Route("/intake/checks", pages.checks, methods=["GET"]),
    Route("/intake/checks/export.csv", pages.checks_csv, methods=["POST"]),
    Route("/intake/checks.csv", pages.import_checks, methods=["POST"]),
    Route("/intake/checks/{application_id:id}", pages.check, methods=["POST"]),
    Route("/meetups/{meetup_id:id}/reception", reception_pages.desk, methods=["GET"]),
    Route("/meetups/{meetup_id:id}/reception/walk-in", reception_pages.walk_in, methods=["POST"]),
    Route(
        "/meetups/{meetup_id:id}/reception/{application_id:id}",
        reception_pages.check_in,
        methods=["POST"],
    ),
    Route("/terms", pages.terms_page, methods=["GET"]),
    Route("/terms", pages.draft_terms, methods=["POST"]),
    Route("/terms/{terms_id:id}/approve", pages.approve_terms, methods=["POST"]),
]
