"""Staff experience on record (the manager's page): experience supporting people in
hikikomori (the manager's requirement, spec 7(2)) and workshops facilitated before the console
(spec 6(4)⑥), beside the facilitations the log counts and whether each facilitator meets
6(4)⑥."""

from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, refuse, result
from console.schedule.models import StaffExperience
from console.security.auth import guarded
from console.security.models import Staff
from console.security.permissions import Action
from console.security.roles import Role
from console.store.db import transaction
from console.workshop.queries import facilitations, fitness

PRIOR_MAX = 999


@guarded(Action.EDIT_STAFF_EXPERIENCE)
async def experience(request: Request) -> Response:
    def read():
        with Session(request.app.state.engine) as db:
            staff = [s for s in db.exec(select(Staff).order_by(Staff.id)) if s.role != Role.WARD]
            kept = {e.staff_id: e for e in db.exec(select(StaffExperience))}
            counts = facilitations(db)
        rows = []
        for s in staff:
            record = kept.get(s.id) or StaffExperience(staff_id=s.id)
            count = counts.get(s.id, 0)
            rows.append(
                {
                    "staff": s,
                    "record": record,
                    "count": count,
                    "fitness": fitness(s, count) if s.role == Role.FACILITATOR else None,
                }
            )
        return rows

    return page(request, "workshop/experience.html", rows=await run_in_threadpool(read))


@guarded(Action.EDIT_STAFF_EXPERIENCE)
async def save_experience(request: Request) -> Response:
    form = await request.form()
    staff_id = forms.record_id(request.path_params["staff_id"])
    prior = forms.number(form.get("prior_facilitations") or "0", low=0, high=PRIOR_MAX)
    if prior is None:
        return refuse(request, f"実施経験の回数は0〜{PRIOR_MAX}で入力してください。", 422)
    experienced = forms.checkbox(form, "hikikomori_experience")

    def write() -> str:
        with transaction(request.app.state.engine) as db:
            staff = db.get(Staff, staff_id) if staff_id else None
            if staff is None or staff.role == Role.WARD:
                raise Refused("職員が見つかりません。", status=404)
            record = db.get(StaffExperience, staff.id) or StaffExperience(staff_id=staff.id)
            record.hikikomori_experience = experienced
            record.prior_facilitations = prior
            db.add(record)
            return staff.display_name

    try:
        name = await run_in_threadpool(write)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    return result(request, f"{name}さんの経験を記録しました。")
