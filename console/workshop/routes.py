"""Staff experience on record (the workshop's commands go through the live command route)."""

from starlette.routing import Route

from console.workshop import pages

ROUTES = [
    Route("/staff/experience", pages.experience, methods=["GET"]),
    Route("/staff/{staff_id}/experience", pages.save_experience, methods=["POST"]),
]
