"""The composition root: the one place that lists the domains and hands them to the engine.

`bootstrap()` runs once at start-up (the app, the CLI and the tests call it): it imports
every domain's tables, composes and installs the engine's registry, and gives the templates
the vocabularies and the permission check they use. Adding a domain means adding it here.
"""

from jinja2 import pass_context
from starlette.routing import BaseRoute

from console.board import routes as board_routes
from console.board.board import BOARD
from console.bridge import models as bridge_tables
from console.bridge import routes as bridge_routes
from console.bridge.domain import DOMAIN as BRIDGE
from console.care import models as care_tables
from console.care import routes as care_routes
from console.care.domain import DOMAIN as CARE
from console.consultations import models as consultation_tables
from console.consultations import routes as consultation_routes
from console.consultations.domain import DOMAIN as CONSULTATIONS
from console.core.templating import templates
from console.intake import models as intake_tables
from console.intake import routes as intake_routes
from console.intake.domain import DOMAIN as INTAKE
from console.intake.events import GateReason
from console.live import models as log_tables
from console.live import routes as live_routes
from console.live.registry import Registry, compose, install
from console.moderation import models as moderation_tables
from console.moderation import routes as moderation_routes
from console.moderation.domain import DOMAIN as MODERATION
from console.moderation.vocab import FlagReason, IncidentKind
from console.reports import models as report_tables
from console.reports import routes as report_routes
from console.reports.domain import DOMAIN as REPORTS
from console.schedule import models as schedule_tables
from console.schedule import routes as schedule_routes
from console.security import audit
from console.security import models as security_tables
from console.security import routes as security_routes
from console.security.permissions import Action, allowed
from console.security.roles import Qualification, Role
from console.session import models as session_tables
from console.session import routes as session_routes
from console.session.domain import DOMAIN as SESSION
from console.session.state import new_state
from console.session.vocab import Mark, MeetupKind, MeetupStatus, Post, Space
from console.store import models as store_tables
from console.surveys import models as survey_tables
from console.surveys import routes as survey_routes
from console.web import routes as web_routes
from console.workshop import routes as workshop_routes
from console.workshop.domain import DOMAIN as WORKSHOP

DOMAINS = (SESSION, MODERATION, CONSULTATIONS, INTAKE, BRIDGE, REPORTS, WORKSHOP, CARE)

# Every table, so that `migrate` creates them all and `rotate-key` finds every encrypted column.
TABLES = (
    bridge_tables,
    care_tables,
    consultation_tables,
    intake_tables,
    log_tables,
    moderation_tables,
    report_tables,
    schedule_tables,
    security_tables,
    session_tables,
    store_tables,
    survey_tables,
)

ROUTES: list[BaseRoute] = [
    *web_routes.ROUTES,
    *schedule_routes.ROUTES,
    *board_routes.ROUTES,
    *session_routes.ROUTES,
    *moderation_routes.ROUTES,
    *consultation_routes.ROUTES,
    *intake_routes.ROUTES,
    *care_routes.ROUTES,
    *survey_routes.ROUTES,
    *report_routes.ROUTES,
    *bridge_routes.ROUTES,
    *security_routes.ROUTES,
    *workshop_routes.ROUTES,
    *live_routes.ROUTES,
]


@pass_context
def can(context, action: str) -> bool:
    return allowed(context["role"], Action(action))


REGISTRY: Registry = compose(
    DOMAINS, new_state=new_state, closed_status=MeetupStatus.CLOSED, board=BOARD
)


def bootstrap() -> Registry:
    """Install the registry and the template globals (idempotent)."""
    install(REGISTRY)
    audit.install()
    templates.env.globals.update(
        can=can,
        Space=Space,
        Post=Post,
        Mark=Mark,
        MeetupStatus=MeetupStatus,
        MeetupKind=MeetupKind,
        Role=Role,
        Qualification=Qualification,
        FlagReason=FlagReason,
        IncidentKind=IncidentKind,
        GateReason=GateReason,
    )
    return REGISTRY
