"""Staff pages of care: my follow-ups, the manager's overdue list and pending block decisions.

Every page names people, so every read is audited; every change is one transaction with its
audit entry (`followups`, `blocks`). The ward role reaches none of these (counts only, on the
home page).
"""

import datetime as dt
from datetime import datetime

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.care import blocks, followups, queries
from console.care import leaks as leak_reports
from console.care.models import LeakCase
from console.care.vocab import NOTE_REQUIRED, Outcome, Why
from console.core import forms
from console.core.errors import Refused
from console.core.pages import is_htmx, page, redirect_saying, refuse, result
from console.security.audit import audited_read
from console.security.auth import guarded
from console.security.permissions import Action, allowed
from console.session.models import Participant
from console.settings import TZ
from console.store.db import transaction

LABELS = {"Why": Why, "Outcome": Outcome, "NOTE_REQUIRED": NOTE_REQUIRED}


def today() -> dt.date:
    return datetime.now(TZ).date()


async def form_of(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


async def change(request: Request, change, done: str, back: str) -> Response:
    """Run `change(db, staff_id, form)` in one transaction; answer htmx or a plain form."""
    engine, staff_id = request.app.state.engine, request.state.staff.id
    form = await form_of(request)

    def run():
        with transaction(engine) as db:
            return change(db, staff_id, form)

    try:
        await run_in_threadpool(run)
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    if is_htmx(request):
        response = result(request, done)
        response.headers["HX-Refresh"] = "true"
        return response
    return redirect_saying(request, back, done)


async def audited(request: Request, action: str, target: str, read):
    return await run_in_threadpool(
        audited_read, request.app.state.engine, request.state.staff.id, action, target, read
    )


@guarded(Action.FOLLOW_UP)
async def mine(request: Request) -> Response:
    staff_id = request.state.staff.id

    def read(db: Session):
        people = list(db.exec(select(Participant).order_by(Participant.id)).all())
        return queries.mine(db, staff_id), people, queries.owners(db)

    rows, people, owners = await audited(request, "care.follow_ups.mine", f"staff:{staff_id}", read)
    return page(
        request,
        "care/mine.html",
        rows=rows,
        people=people,
        owners=owners,
        owner_names={s.id: s.display_name for s in owners},
        today=today(),
        **LABELS,
    )


@guarded(Action.FOLLOW_UP)
async def create(request: Request) -> Response:
    on = today()
    return await change(
        request,
        lambda db, staff_id, form: followups.create(db, staff_id, form, today=on),
        "フォローアップを登録しました。",
        "/care",
    )


@guarded(Action.FOLLOW_UP)
async def close(request: Request) -> Response:
    follow_up_id = request.path_params["follow_up_id"]
    oversees = allowed(request.state.staff.role, Action.OVERSEE_CARE)
    return await change(
        request,
        lambda db, staff_id, form: followups.close(
            db, staff_id, follow_up_id, form, oversees=oversees
        ),
        "フォローアップを完了しました。",
        "/care",
    )


@guarded(Action.OVERSEE_CARE)
async def hand_over(request: Request) -> Response:
    follow_up_id, on = request.path_params["follow_up_id"], today()
    return await change(
        request,
        lambda db, staff_id, form: followups.hand_over(db, staff_id, follow_up_id, form, today=on),
        "担当者・期限を変更しました。",
        "/care/overdue",
    )


@guarded(Action.OVERSEE_CARE)
async def overdue(request: Request) -> Response:
    """Overdue follow-ups as of a day (today unless `on` names another: the manager plans the
    week), and forced exits still awaiting a block decision."""
    raw = request.query_params.get("on")
    on = forms.day(raw) if raw else today()
    if on is None:
        return refuse(request, "基準日を正しく入力してください(例: 2026-12-20)。", 422)

    def read(db: Session):
        return queries.overdue(db, today=on), queries.pending_blocks(db), queries.owners(db)

    rows, pending, owners = await audited(request, "care.follow_ups.overdue", "all", read)
    return page(
        request,
        "care/overdue.html",
        rows=rows,
        pending=pending,
        owners=owners,
        owner_names={s.id: s.display_name for s in owners},
        on=on,
        today=on,
        **LABELS,
    )


@guarded(Action.BLOCK)
async def decline_block(request: Request) -> Response:
    decision_id = request.path_params["decision_id"]
    return await change(
        request,
        lambda db, staff_id, form: blocks.decline(db, staff_id, decision_id, form),
        "ブロックしないことを記録しました。",
        "/care/overdue",
    )


@guarded(Action.VIEW_WARD_REPORTS)
async def leaks(request: Request) -> Response:
    def read(db: Session):
        cases = db.exec(select(LeakCase).order_by(col(LeakCase.id).desc()).limit(100)).all()
        return [(case, leak_reports.chain(db, case.id)) for case in cases]

    cases = await audited(request, "care.leaks.list", "all", read)
    return page(request, "care/leaks.html", cases=cases, now=datetime.now(TZ))


@guarded(Action.RECORD_INCIDENT)
async def record_leak(request: Request) -> Response:
    return await change(
        request,
        leak_reports.record,
        "個人情報漏えいの疑いを記録し、区への第一報を送信待ちにしました。",
        "/care",
    )


@guarded(Action.OVERSEE_CARE)
async def follow_leak(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    return await change(
        request,
        lambda db, staff_id, form: leak_reports.follow(db, staff_id, case_id, form),
        "区への報告を記録し、送信待ちにしました。",
        "/care/leaks",
    )
