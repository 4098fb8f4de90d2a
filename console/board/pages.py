"""The live dashboard of one meetup, and the endpoint its command forms post to."""

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console import settings
from console.board.timeline import note_items, timeline_items
from console.core.errors import Refused
from console.core.pages import page, refuse
from console.live.commands import command_response
from console.schedule import plans
from console.security.auth import guarded
from console.security.permissions import Action


@guarded(Action.VIEW_DASHBOARD)
async def dashboard(request: Request) -> Response:
    hub = request.app.state.hub
    try:
        live = await hub.live(int(request.path_params["meetup_id"]))
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    staff = request.state.staff
    view = await hub.view(live, staff.role, fresh=True)
    timeline, notes = await run_in_threadpool(hub.history, live.meetup.id, view.state.seq)

    def read_plan():
        with Session(request.app.state.engine) as db:
            return plans.plan_of(db, live.meetup.id)

    return page(
        request,
        "board/meetup.html",
        v=view,
        state=view.state,
        meetup=view.meetup,
        timeline_html=timeline_items(timeline, view),
        notes_html=note_items(notes, view),
        my_duty=view.state.on_duty.get(staff.id),
        heartbeat_seconds=f"{settings.LIVE_HEARTBEAT_SECONDS:g}",
        plan=await run_in_threadpool(read_plan),
    )


# The command's own permission is checked by commands.execute; the route guard checks login
# and CSRF and lets every role that may view a dashboard reach it.
@guarded(Action.VIEW_DASHBOARD)
async def command(request: Request) -> Response:
    """POST /meetups/{id}/commands/{name}."""
    return await command_response(
        request, meetup_id=int(request.path_params["meetup_id"]), name=request.path_params["name"]
    )
