"""Step-up support and aftercare (spec 6(2)②③④): a wish to move on with the ward's
application slip, a plan of stages of several kinds, each with its date and result; a
drop-out makes an aftercare follow-up. Nothing here touches blocks or the entry gate: moving
on or dropping out never bars anyone from the metaverse meetups (6(2)④).

Each change is one transaction with an audit entry; bad input changes nothing.
"""

import datetime as dt
from collections.abc import Mapping
from datetime import timedelta

from sqlmodel import Session, select

from console import settings
from console.care.followups import audit, owner
from console.care.models import FollowUp, PlanStage, SupportNeed, SupportPlan
from console.care.vocab import PlanStatus, StageKind, StageResult, Why, Wish
from console.core import forms
from console.core.errors import Refused
from console.session.models import Participant
from console.store.columns import utcnow

TEXT_MAX = 1000
SUMMARY_MAX = 200


def active_plan(db: Session, participant_id: int) -> SupportPlan | None:
    return db.exec(
        select(SupportPlan).where(
            SupportPlan.participant_id == participant_id,
            SupportPlan.status == PlanStatus.ACTIVE,
        )
    ).first()


def _plan_of(db: Session, participant_id: int) -> SupportPlan:
    plan = active_plan(db, participant_id)
    if plan is None:
        raise Refused("この参加者には支援中の計画がありません。先に計画を作成してください。")
    return plan


def _person(db: Session, participant_id: int) -> Participant:
    person = db.get(Participant, participant_id)
    if person is None:
        raise Refused("参加者が見つかりません。", status=404)
    return person


def _date(form: Mapping[str, str], name: str, label: str, *, required: bool) -> dt.date | None:
    raw = (form.get(name) or "").strip()
    if not raw and not required:
        return None
    found = forms.day(raw, first=1, last=9999)
    if found is None:
        raise Refused(f"{label}を正しく入力してください(例: 2026-12-20)。")
    if not forms.FIRST_YEAR <= found.year <= forms.LAST_YEAR:
        raise Refused(f"{label}の年をご確認ください({found.year}年になっています)。")
    return found


def open_plan(
    db: Session, staff_id: int, participant_id: int, form: Mapping[str, str], *, today: dt.date
) -> SupportPlan:
    wish = forms.choice(form, "wish", Wish, label="希望する移行先")
    detail = forms.text(form, "detail", label="希望の内容", max_len=TEXT_MAX)
    slip = _date(form, "slip_received", "申込票の受領日", required=False)
    slip_for = forms.text(
        form, "slip_for", label="申込票の用途", max_len=TEXT_MAX, required=slip is not None
    )
    if slip is not None and slip > today:
        raise Refused("申込票の受領日に未来の日付は指定できません。")
    _person(db, participant_id)
    if active_plan(db, participant_id) is not None:
        raise Refused("この参加者にはすでに支援中の計画があります。")
    plan = SupportPlan(
        participant_id=participant_id,
        wish=wish,
        detail=detail,
        slip_received=slip,
        slip_for=slip_for or None,
        created_by=staff_id,
    )
    db.add(plan)
    db.flush()
    audit(db, staff_id, "care.plan.open", f"support_plan:{plan.id}")
    return plan


def add_stage(
    db: Session, staff_id: int, participant_id: int, form: Mapping[str, str]
) -> PlanStage:
    kind = forms.choice(form, "kind", StageKind, label="段階の種類")
    on = _date(form, "on", "実施日", required=True)
    _person(db, participant_id)
    plan = _plan_of(db, participant_id)
    begun = plan.created_at.astimezone(settings.TZ).date()
    if on < begun:
        raise Refused(f"実施日が計画を立てた日({begun:%Y年%-m月%-d日})より前になっています。")
    stage = PlanStage(plan_id=plan.id, kind=kind, on=on, recorded_by=staff_id)
    db.add(stage)
    db.flush()
    audit(db, staff_id, "care.plan.stage", f"plan_stage:{stage.id}")
    return stage


def record_stage(db: Session, staff_id: int, stage_id: int, form: Mapping[str, str]) -> PlanStage:
    result = forms.choice(form, "result", StageResult, label="結果")
    note = forms.text(
        form, "note", label="結果の記録", max_len=TEXT_MAX, required=result != StageResult.DONE
    )
    stage = db.get(PlanStage, stage_id)
    if stage is None:
        raise Refused("支援の段階が見つかりません。", status=404)
    plan = db.get(SupportPlan, stage.plan_id)
    if plan.status != PlanStatus.ACTIVE:
        raise Refused("この計画はすでに終了しています。")
    today = utcnow().astimezone(settings.TZ).date()
    if result == StageResult.DONE and stage.on > today:
        raise Refused(f"実施日({stage.on:%Y年%-m月%-d日})の前に「実施した」とは記録できません。")
    stage.result, stage.note = result, note or None
    stage.recorded_by, stage.recorded_at = staff_id, utcnow()
    db.add(stage)
    audit(db, staff_id, f"care.plan.stage_result.{result}", f"plan_stage:{stage.id}")
    return stage


def close_plan(
    db: Session, staff_id: int, participant_id: int, form: Mapping[str, str], *, today: dt.date
) -> SupportPlan:
    """Moved on, or dropped out (離脱): a drop-out makes an aftercare follow-up for the owner
    chosen (by default whoever records it)."""
    status = forms.choice(form, "status", PlanStatus, label="計画の終了")
    if status == PlanStatus.ACTIVE:
        raise Refused("計画の終了には「移行した」か「離脱」を選んでください。")
    aftercare_owner = owner(db, form) if form.get("owner_id") else None
    plan = _plan_of(db, participant_id)
    plan.status, plan.closed_at = status, utcnow()
    db.add(plan)
    audit(db, staff_id, f"care.plan.{status}", f"support_plan:{plan.id}")
    if status == PlanStatus.DROPPED_OUT:
        follow_up = FollowUp(
            participant_id=participant_id,
            why=Why.DROP_OUT,
            source=f"plan:{plan.id}",
            task="離脱後のアフターケア(本人への連絡、メタバース居場所への参加の案内)",
            owner_id=aftercare_owner.id if aftercare_owner else staff_id,
            due=today + timedelta(days=settings.FOLLOW_UP_DAYS),
            created_by=staff_id,
        )
        db.add(follow_up)
        db.flush()
        audit(db, staff_id, "care.follow_up.create", f"follow_up:{follow_up.id}")
    return plan


def mark_need(
    db: Session, staff_id: int, participant_id: int, form: Mapping[str, str]
) -> SupportNeed:
    """Mark (or re-word) a participant as in need of support, for the liaison meeting."""
    summary = forms.one_line(form, "summary", label="職員による概要", max_len=SUMMARY_MAX)
    _person(db, participant_id)
    for earlier in db.exec(
        select(SupportNeed).where(
            SupportNeed.participant_id == participant_id,
            SupportNeed.cleared_at == None,  # noqa: E711
        )
    ):
        earlier.cleared_at = utcnow()
        db.add(earlier)
    need = SupportNeed(participant_id=participant_id, summary=summary, marked_by=staff_id)
    db.add(need)
    db.flush()
    audit(db, staff_id, "care.need.mark", f"support_need:{need.id}")
    return need


def clear_need(db: Session, staff_id: int, participant_id: int, form: Mapping[str, str]) -> None:
    open_needs = db.exec(
        select(SupportNeed).where(
            SupportNeed.participant_id == participant_id,
            SupportNeed.cleared_at == None,  # noqa: E711
        )
    ).all()
    if not open_needs:
        raise Refused("この参加者は支援が必要な人として登録されていません。")
    for need in open_needs:
        need.cleared_at = utcnow()
        db.add(need)
        audit(db, staff_id, "care.need.clear", f"support_need:{need.id}")
