"""Step-up support (spec 6(2)②③): a wish with the ward's slip, a plan of stages of several
kinds; a drop-out makes aftercare, and never bars the metaverse meetups (6(2)④)."""

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from console.care.models import FollowUp, PlanStage, SupportPlan
from tests.care.test_follow_ups import jst_today, post
from tests.conftest import Staff, new_meetup, new_participant


def test_a_plan_through_three_stages_and_a_drop_out_makes_aftercare_and_bars_nothing(world):
    srv, engine = world
    counsellor = Staff(srv, "counsellor1")
    person = new_participant(engine, "移行")
    base = f"/care/participants/{person.id}"

    early = post(counsellor, f"{base}/stages", kind="prep_talk", on=jst_today().isoformat())
    assert early.status_code == 422 and "支援中の計画がありません" in early.text
    tomorrow = (jst_today() + timedelta(days=1)).isoformat()
    future_slip = post(
        counsellor,
        f"{base}/plan",
        wish="place",
        detail="対面の居場所",
        slip_received=tomorrow,
        slip_for="居場所の利用",
    )
    assert future_slip.status_code == 422 and "未来の日付" in future_slip.text
    no_use = post(
        counsellor,
        f"{base}/plan",
        wish="place",
        detail="対面の居場所",
        slip_received=jst_today().isoformat(),
    )
    assert no_use.status_code == 422 and "申込票の用途" in no_use.text
    with Session(engine) as db:
        assert (
            db.exec(select(SupportPlan).where(SupportPlan.participant_id == person.id)).all() == []
        )

    made = post(
        counsellor,
        f"{base}/plan",
        wish="place",
        detail="区の対面の居場所に通いたい(固有語R4W)",
        slip_received=jst_today().isoformat(),
        slip_for="対面の居場所の利用申込",
    )
    assert made.status_code == 200, made.text
    assert post(counsellor, f"{base}/plan", wish="work", detail="二つ目").status_code == 422

    kinds = ["prep_talk", "accompany", "check_in"]
    for n, kind in enumerate(kinds):  # today, today, tomorrow
        on = (jst_today() + timedelta(days=max(0, n - 1))).isoformat()
        assert post(counsellor, f"{base}/stages", kind=kind, on=on).status_code == 200
    assert post(counsellor, f"{base}/stages", kind="teleport", on=tomorrow).status_code == 422
    yesterday = (jst_today() - timedelta(days=1)).isoformat()
    before = post(counsellor, f"{base}/stages", kind="accompany", on=yesterday)
    assert before.status_code == 422 and "計画を立てた日" in before.text
    old = post(counsellor, f"{base}/stages", kind="accompany", on="1999-01-01")
    assert old.status_code == 422 and "年をご確認ください" in old.text
    with Session(engine) as db:
        plan = db.exec(select(SupportPlan).where(SupportPlan.participant_id == person.id)).one()
        stages = db.exec(select(PlanStage).where(PlanStage.plan_id == plan.id)).all()
    assert sorted(s.kind for s in stages) == sorted(kinds)
    first, second, third = sorted(stages, key=lambda s: (s.on, s.id))
    early = post(counsellor, f"/care/stages/{third.id}/result", result="done")  # tomorrow's
    assert early.status_code == 422 and "「実施した」とは記録できません" in early.text
    assert post(counsellor, f"/care/stages/{first.id}/result", result="done").status_code == 200
    assert post(counsellor, f"/care/stages/{second.id}/result", result="done").status_code == 200
    missed = post(counsellor, f"/care/stages/{third.id}/result", result="missed")
    assert missed.status_code == 422 and "結果の記録を入力" in missed.text
    assert (
        post(
            counsellor, f"/care/stages/{third.id}/result", result="missed", note="当日連絡なし"
        ).status_code
        == 200
    )

    page = counsellor.http.get(base)
    assert page.status_code == 200 and "同行支援" in page.text and "当日連絡なし" in page.text
    assert Staff(srv, "ward").http.get(base).status_code == 403
    assert Staff(srv, "facilitator").http.get(base).status_code == 403

    dropped = post(counsellor, f"{base}/plan/close", status="dropped_out")
    assert dropped.status_code == 200, dropped.text
    with Session(engine) as db:
        plan = db.get(SupportPlan, plan.id)
        aftercare = db.exec(select(FollowUp).where(FollowUp.source == f"plan:{plan.id}")).one()
        raw = db.execute(text("SELECT detail FROM supportplan WHERE id = :i"), {"i": plan.id}).one()
    assert plan.status == "dropped_out" and aftercare.why == "drop_out"
    assert "R4W" not in raw.detail  # encrypted at rest
    assert "離脱後のアフターケア" in counsellor.http.get("/care").text
    late = post(counsellor, f"/care/stages/{first.id}/result", result="done")
    assert late.status_code == 422 and "終了" in late.text

    # The next metaverse session: they come in as anyone does.
    manager = Staff(srv, "manager")
    meetup_id = new_meetup(engine)
    manager.command(meetup_id, "open_doors")
    entered = manager.command(meetup_id, "enter", participant_code=person.code, space="exchange")
    assert entered.status_code == 200, entered.text
