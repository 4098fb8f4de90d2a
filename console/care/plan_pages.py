"""A participant's care page: their follow-ups, their step-up plan and its stages, and
whether the staff consider them in need of support (for the liaison meeting)."""

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from console.care import plans, queries
from console.care.models import PlanStage, SupportNeed, SupportPlan
from console.care.pages import LABELS, audited, change, today
from console.care.vocab import PlanStatus, StageKind, StageResult, Wish
from console.core.pages import page, refuse
from console.security.auth import guarded
from console.security.permissions import Action
from console.session.models import Participant

PLAN_LABELS = {
    "Wish": Wish,
    "StageKind": StageKind,
    "StageResult": StageResult,
    "PlanStatus": PlanStatus,
}


@guarded(Action.SUPPORT_PLAN)
async def participant(request: Request) -> Response:
    pid = request.path_params["participant_id"]

    def read(db: Session):
        person = db.get(Participant, pid)
        if person is None:
            return None
        history = db.exec(
            select(SupportPlan)
            .where(SupportPlan.participant_id == pid)
            .order_by(col(SupportPlan.id).desc())
        ).all()
        stages = {
            plan.id: db.exec(
                select(PlanStage).where(PlanStage.plan_id == plan.id).order_by(PlanStage.on)
            ).all()
            for plan in history
        }
        need = db.exec(
            select(SupportNeed).where(
                SupportNeed.participant_id == pid, col(SupportNeed.cleared_at).is_(None)
            )
        ).first()
        owners = queries.owners(db)
        return person, history, stages, need, queries.of_participant(db, pid), owners

    found = await audited(request, "care.participant.read", f"participant:{pid}", read)
    if found is None:
        return refuse(request, "参加者が見つかりません。", 404)
    person, history, stages, need, follow_ups, owners = found
    return page(
        request,
        "care/participant.html",
        person=person,
        history=history,
        stages=stages,
        need=need,
        follow_ups=follow_ups,
        owners=owners,
        owner_names={s.id: s.display_name for s in owners},
        today=today(),
        **LABELS,
        **PLAN_LABELS,
    )


def _back(request: Request) -> str:
    return f"/care/participants/{request.path_params['participant_id']}"


@guarded(Action.SUPPORT_PLAN)
async def open_plan(request: Request) -> Response:
    pid, on = request.path_params["participant_id"], today()
    return await change(
        request,
        lambda db, staff_id, form: plans.open_plan(db, staff_id, pid, form, today=on),
        "支援計画を作成しました。",
        _back(request),
    )


@guarded(Action.SUPPORT_PLAN)
async def add_stage(request: Request) -> Response:
    pid = request.path_params["participant_id"]
    return await change(
        request,
        lambda db, staff_id, form: plans.add_stage(db, staff_id, pid, form),
        "支援の段階を追加しました。",
        _back(request),
    )


@guarded(Action.SUPPORT_PLAN)
async def record_stage(request: Request) -> Response:
    stage_id = request.path_params["stage_id"]
    return await change(
        request,
        lambda db, staff_id, form: plans.record_stage(db, staff_id, stage_id, form),
        "段階の結果を記録しました。",
        "/care",
    )


@guarded(Action.SUPPORT_PLAN)
async def close_plan(request: Request) -> Response:
    pid, on = request.path_params["participant_id"], today()
    return await change(
        request,
        lambda db, staff_id, form: plans.close_plan(db, staff_id, pid, form, today=on),
        "計画の終了を記録しました。",
        _back(request),
    )


@guarded(Action.SUPPORT_PLAN)
async def mark_need(request: Request) -> Response:
    pid = request.path_params["participant_id"]
    return await change(
        request,
        lambda db, staff_id, form: plans.mark_need(db, staff_id, pid, form),
        "支援が必要な人として記録しました(連絡会資料に載ります)。",
        _back(request),
    )


@guarded(Action.SUPPORT_PLAN)
async def clear_need(request: Request) -> Response:
    pid = request.path_params["participant_id"]
    return await change(
        request,
        lambda db, staff_id, form: plans.clear_need(db, staff_id, pid, form),
        "「支援が必要」の記録を外しました。",
        _back(request),
    )
