"""The home page (sessions, notices, the next report due) and the health check."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from console import settings
from console.care import queries as care
from console.consultations.queries import unshared_count
from console.core.pages import page
from console.live.models import Meetup
from console.schedule import duedates
from console.schedule.models import Notice
from console.security.auth import guarded
from console.security.models import Staff
from console.security.permissions import Action, allowed
from console.settings import TZ


def _home(engine) -> tuple[list[Meetup], list[Notice]]:
    with Session(engine) as db:
        meetups = list(db.exec(select(Meetup).order_by(col(Meetup.date).desc()).limit(100)))
        notices = list(db.exec(select(Notice).order_by(col(Notice.created_at).desc()).limit(5)))
    return meetups, notices


def _care(engine, staff: Staff, now: datetime) -> dict:
    """Reminders: the staff member's follow-ups due; for the manager (and, as numbers, the
    ward) the overdue ones, the forced exits awaiting a block decision, and the complete
    consultation records left unshared for `UNSHARED_AFTER_DAYS`."""
    today = now.astimezone(TZ).date()
    found: dict = {}
    with Session(engine) as db:
        if allowed(staff.role, Action.FOLLOW_UP):
            found["due_mine"] = care.due_by(db, staff.id, today=today)
        if allowed(staff.role, Action.VIEW_CARE_COUNTS):
            found["care_counts"] = care.counts(db, today=today)
        if allowed(staff.role, Action.OVERSEE_CARE):
            before = now - timedelta(days=settings.UNSHARED_AFTER_DAYS)
            found["unshared"] = unshared_count(db, completed_before=before)
    return found


@guarded(Action.VIEW_DASHBOARD)
async def home(request: Request) -> Response:
    meetups, notices = await run_in_threadpool(_home, request.app.state.engine)
    now = datetime.now(TZ)
    today = now.date()
    reminders = await run_in_threadpool(_care, request.app.state.engine, request.state.staff, now)
    year, month, due = duedates.next_report(today)
    return page(
        request,
        "web/home.html",
        meetups=meetups,
        today=today,
        notices=notices,
        next_report=(year, month, due),
        unshared_after=settings.UNSHARED_AFTER_DAYS,
        **reminders,
    )


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")
