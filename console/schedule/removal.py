"""Removing a session created by mistake (a wrong date or kind): only while nothing has
happened to it — still scheduled, nothing in its log, no application, survey or record naming
it (the database's foreign keys say so) — and in the audit trail. A session that was held, or
that anyone applied for, stays: it is part of what the reports count."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import delete
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core import forms
from console.core.errors import Refused
from console.core.pages import redirect_saying, refuse
from console.core.templating import jst_date
from console.live.models import Meetup
from console.schedule import jobs
from console.schedule.models import SessionPlan
from console.security import audit
from console.security.auth import guarded
from console.security.permissions import Action
from console.session.vocab import MeetupKind, MeetupStatus
from console.store.db import transaction

IN_USE = "この回には申込・記録などがあるため削除できません(開催しない場合は、その旨を記録に残してください)。"


def remove(engine, *, meetup_id: int, staff_id: int) -> Meetup:
    try:
        with transaction(engine) as db:
            meetup = db.get(Meetup, meetup_id)
            if meetup is None:
                raise Refused("開催回が見つかりません。", status=404)
            if meetup.status != MeetupStatus.SCHEDULED or meetup.last_seq:
                raise Refused(IN_USE, status=409)
            db.exec(delete(SessionPlan).where(SessionPlan.meetup_id == meetup_id))
            db.delete(meetup)
            db.flush()  # a row naming it refuses here, and nothing is removed
            audit.record(
                db, action="schedule.remove", staff_id=staff_id, target=f"meetup:{meetup_id}"
            )
            return meetup
    except IntegrityError:
        raise Refused(IN_USE, status=409) from None


@guarded(Action.MANAGE_MEETUPS)
async def delete_meetup(request: Request) -> Response:
    meetup_id = request.path_params["meetup_id"]
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not forms.checkbox(form, "agree"):
        return refuse(
            request, "削除すると元に戻せません。確認のチェックを入れてから削除してください。", 422
        )
    engine, staff_id = request.app.state.engine, request.state.staff.id
    try:
        meetup = await run_in_threadpool(
            lambda: remove(engine, meetup_id=meetup_id, staff_id=staff_id)
        )
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    jobs.unschedule(request.app.state.scheduler, meetup_id)
    request.app.state.hub.forget(meetup_id)
    said = f"{jst_date(meetup.date)}の{MeetupKind(meetup.kind).label}を削除しました。"
    return redirect_saying(request, f"/schedule?month={meetup.date:%Y-%m}", said)
