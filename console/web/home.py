"""The home page (sessions, notices, the next report due) and the health check."""

from datetime import datetime

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from console.core.pages import page
from console.live.models import Meetup
from console.schedule import duedates
from console.schedule.models import Notice
from console.security.auth import guarded
from console.security.permissions import Action
from console.settings import TZ


def _home(engine) -> tuple[list[Meetup], list[Notice]]:
    with Session(engine) as db:
        meetups = list(db.exec(select(Meetup).order_by(col(Meetup.date).desc()).limit(100)))
        notices = list(db.exec(select(Notice).order_by(col(Notice.created_at).desc()).limit(5)))
    return meetups, notices


@guarded(Action.VIEW_DASHBOARD)
async def home(request: Request) -> Response:
    meetups, notices = await run_in_threadpool(_home, request.app.state.engine)
    today = datetime.now(TZ).date()
    year, month, due = duedates.next_report(today)
    return page(
        request,
        "web/home.html",
        meetups=meetups,
        today=today,
        notices=notices,
        next_report=(year, month, due),
    )


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")
