"""The monthly liaison meeting pack (連絡会資料, spec 6(6)): the month in brief, the open
follow-ups and step-up plans, and the participants the staff consider in need of support.

Only what the meeting needs: each person by participant ID, age bracket and district, plus
the short summary a staff member wrote for the meeting. No name, no consultation content, no
follow-up task or note, no stage note: the pack is built from codes, labels and counts alone,
and says on every page that it contains personal data.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, func, or_, select

from console.care.models import FollowUp, PlanStage, SupportNeed, SupportPlan
from console.care.vocab import Outcome, PlanStatus, StageKind, StageResult, Why, Wish
from console.core.templating import jst_date, pdf_of, templates
from console.live.models import Meetup
from console.session.models import Participant
from console.session.vocab import AgeBracket, District
from console.settings import TZ


@dataclass(frozen=True)
class Person:
    code: str
    age: str
    district: str


@dataclass(frozen=True)
class Line:
    person: Person
    text: str


@dataclass(frozen=True)
class Pack:
    month: dt.date
    made_at: datetime
    brief: tuple[tuple[str, int], ...]
    needs: tuple[Line, ...]
    plans: tuple[Line, ...]
    follow_ups: tuple[Line, ...]

    @property
    def people(self) -> frozenset[str]:
        return frozenset(line.person.code for line in (*self.needs, *self.plans, *self.follow_ups))


def person_of(p: Participant) -> Person:
    """Who, as the meeting (and the helpline's handover) may know them: ID, age, district."""
    age = AgeBracket.parse(p.age_bracket)
    district = District.parse(p.district)
    return Person(
        code=p.code,
        age=age.label if age else "不明",
        district=district.label if district else "不明",
    )


def _bounds(month: dt.date) -> tuple[datetime, datetime]:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (
        datetime.combine(month, time(), tzinfo=TZ),
        datetime.combine(following, time(), tzinfo=TZ),
    )


def build(db: Session, month: dt.date, *, now: datetime) -> Pack:
    start, end = _bounds(month)
    made = db.exec(
        select(FollowUp.why, func.count())
        .where(col(FollowUp.created_at) >= start, col(FollowUp.created_at) < end)
        .group_by(FollowUp.why)
    ).all()
    closed = db.exec(
        select(FollowUp.outcome, func.count())
        .where(col(FollowUp.done_at) >= start, col(FollowUp.done_at) < end)
        .group_by(FollowUp.outcome)
    ).all()
    meetups = db.exec(
        select(func.count())
        .select_from(Meetup)
        .where(Meetup.date >= start.date(), Meetup.date < end.date())
    ).one()
    brief = [("当月の開催回", meetups)]
    brief += [(f"新たなフォローアップ({Why(w).label})", n) for w, n in sorted(made)]
    brief += [(f"完了したフォローアップ({Outcome(o).label})", n) for o, n in sorted(closed)]

    needs = db.exec(
        select(SupportNeed, Participant)
        .join(Participant, Participant.id == SupportNeed.participant_id)
        .where(
            col(SupportNeed.marked_at) < end,
            or_(col(SupportNeed.cleared_at).is_(None), col(SupportNeed.cleared_at) >= end),
        )
        .order_by(SupportNeed.id)
    ).all()
    latest = {}
    for need, person in needs:  # a re-worded summary replaces the earlier one
        latest[person.id] = Line(person_of(person), need.summary)

    plans = []
    for plan, person in db.exec(
        select(SupportPlan, Participant)
        .join(Participant, Participant.id == SupportPlan.participant_id)
        .where(SupportPlan.status == PlanStatus.ACTIVE, col(SupportPlan.created_at) < end)
        .order_by(SupportPlan.id)
    ).all():
        stages = db.exec(select(PlanStage).where(PlanStage.plan_id == plan.id)).all()
        done = Counter(s.result for s in stages)
        kinds = "・".join(dict.fromkeys(StageKind(s.kind).label for s in stages)) or "未設定"
        results = "、".join(f"{StageResult(r).label}{n}" for r, n in done.items() if r)
        text = f"希望: {Wish(plan.wish).label} / 段階: {kinds}({results or '結果の記録なし'})"
        plans.append(Line(person_of(person), text))

    follow_ups = [
        Line(person_of(person), f"{Why(f.why).label} / 期限 {jst_date(f.due)}")
        for f, person in db.exec(
            select(FollowUp, Participant)
            .join(Participant, Participant.id == FollowUp.participant_id)
            .where(col(FollowUp.done_at).is_(None), col(FollowUp.created_at) < end)
            .order_by(FollowUp.due)
        ).all()
    ]
    return Pack(
        month=month,
        made_at=now,
        brief=tuple(brief),
        needs=tuple(latest.values()),
        plans=tuple(plans),
        follow_ups=tuple(follow_ups),
    )


def to_pdf(pack: Pack) -> bytes:
    return pdf_of(templates.get_template("care/liaison_print.html").render(pack=pack))
