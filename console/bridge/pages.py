"""The bridge's pages: the health panel (polled by the manager's board) and the contract."""

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console.bridge.health import health
from console.bridge.openapi import document
from console.core.errors import Refused
from console.core.pages import page, refuse
from console.security.auth import guarded
from console.security.permissions import Action


def _health(engine, state):
    with Session(engine) as db:
        return health(db, state)


@guarded(Action.VIEW_PLATFORM_HEALTH)
async def health_panel(request: Request) -> Response:
    meetup_id = request.path_params["meetup_id"]
    try:
        live = await request.app.state.hub.live(meetup_id)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    found = await run_in_threadpool(_health, request.app.state.engine, live.state)
    return page(request, "bridge/fragments/health.html", h=found, meetup=live.meetup)


async def openapi(request: Request) -> Response:
    return JSONResponse(document())
