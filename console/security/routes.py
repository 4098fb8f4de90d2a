"""The security pages: the audit trail, the take-out records, the staff's second factors."""

from starlette.routing import Route

from console.core import routing  # noqa: F401  (the `id` path convertor)
from console.security import pages, staff_pages

ROUTES = [
    Route("/security/audit", pages.audit_trail, methods=["GET"]),
    Route("/security/audit.csv", pages.audit_csv, methods=["GET"]),
    Route("/security/takeouts", pages.takeouts, methods=["GET"]),
    Route("/security/checklist", pages.checklist_page, methods=["GET"]),
    Route("/security/checklist.pdf", pages.checklist_pdf, methods=["GET"]),
    Route("/security/factors", pages.factors, methods=["GET"]),
    Route("/security/factors/{staff_id:id}/reset", pages.reset_factor, methods=["POST"]),
    Route("/security/staff", staff_pages.staff_list, methods=["GET"]),
    Route("/security/staff", staff_pages.create, methods=["POST"]),
    Route("/security/staff/{staff_id:id}", staff_pages.member, methods=["GET"]),
    Route("/security/staff/{staff_id:id}/profile", staff_pages.profile, methods=["POST"]),
    Route("/security/staff/{staff_id:id}/role", staff_pages.role, methods=["POST"]),
    Route("/security/staff/{staff_id:id}/deactivate", staff_pages.deactivate, methods=["POST"]),
]
