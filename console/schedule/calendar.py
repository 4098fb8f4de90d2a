"""The year's schedule (spec 6(1)②, 6(3)①, 6(4)): creating sessions of each kind, the
monthly calendar, the fiscal year's required counts, and the report due dates."""

import calendar
import datetime as dt
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, refuse, result
from console.core.templating import jst_date
from console.live.models import Meetup
from console.schedule import duedates, jobs, plans, rules
from console.security.auth import guarded
from console.security.permissions import Action
from console.session.vocab import MeetupKind
from console.settings import TZ
from console.store.columns import utcnow
from console.store.db import transaction


@dataclass(frozen=True)
class KindRules:
    doors: str
    start: str
    end: str
    months: tuple[int, ...]  # months in which the spec holds it
    per_year: int  # required sessions in a fiscal year
    lead_days: int  # dates fixed at least this long ahead (0: no rule)
    hours: tuple[float, float] | None = None  # allowed length, when the spec sets one


ALL_YEAR = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
AUG_TO_MAR = (8, 9, 10, 11, 12, 1, 2, 3)
RULES = {
    MeetupKind.METAVERSE: KindRules("13:45", "14:00", "17:00", AUG_TO_MAR, 8, 0),
    MeetupKind.IN_PERSON: KindRules("14:00", "14:00", "17:00", AUG_TO_MAR, 8, 61),
    MeetupKind.FAMILY_CLASS: KindRules("13:30", "14:00", "16:00", ALL_YEAR, 12, 0, (2, 3)),
}


def fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _clock(form, name: str, label: str, default: str, day: dt.date) -> datetime:
    found = forms.clock(form.get(name) or default)
    if found is None:
        raise Refused(f"{label}を「14:00」の形式で入力してください。")
    return datetime.combine(day, found, tzinfo=TZ)


def parse(form, *, today: dt.date) -> Meetup:
    """A new meetup from the form. Refused when invalid."""
    kind = MeetupKind.parse(form.get("kind") or "metaverse")
    if kind is None:
        raise Refused("開催の種類の選択肢が正しくありません。")
    rules = RULES[kind]
    day = forms.day(form.get("date"))
    if day is None:
        raise Refused("開催日を正しい形式(例: 2026-12-12)で入力してください。")
    if day < today:
        raise Refused("過去の日付には開催回を作成できません。")
    start = _clock(form, "start", "開始時刻", rules.start, day)
    # Blank doors: the kind's usual lead before the start (13:45 for a 14:00 metaverse).
    lead = _clock({}, "", "", rules.start, day) - _clock({}, "", "", rules.doors, day)
    doors = _clock(form, "doors", "入室開始時刻", f"{start - lead:%H:%M}", day)
    end = _clock(form, "end", "終了時刻", rules.end, day)
    if end <= start:
        raise Refused("終了時刻は開始時刻より後にしてください。")
    if doors > start:
        raise Refused("入室開始時刻は開始時刻と同じか、それより前にしてください。")
    rooms = forms.number(form.get("rooms") or "2", low=1, high=10)
    if rooms is None:
        raise Refused("個別相談室の数は1〜10で入力してください。")
    groups = None
    if kind == MeetupKind.FAMILY_CLASS:
        groups = forms.number(form.get("groups") or "1", low=1, high=6)
        if groups is None:
            raise Refused("グループの数は1〜6で入力してください。")
    meetup = Meetup(
        date=day,
        kind=kind,
        doors_at=doors,
        starts_at=start,
        ends_at=end,
        rooms=rooms,
        groups=groups,
    )
    return meetup


def _overlap(db: Session, meetup: Meetup) -> Meetup | None:
    return db.exec(
        select(Meetup).where(
            Meetup.kind == meetup.kind,
            Meetup.date == meetup.date,
            Meetup.starts_at < meetup.ends_at,
            Meetup.ends_at > meetup.starts_at,
        )
    ).first()


def _planned(meetup: Meetup) -> rules.Planned:
    return rules.Planned(
        meetup.kind, meetup.date, meetup.doors_at, meetup.starts_at, meetup.ends_at
    )


def _create(engine, meetup: Meetup, form, *, today: dt.date) -> Meetup:
    plan = plans.parse_plan(form, meetup.kind)
    reason = forms.text(
        form, "exception_reason", label="ルールを外れる理由", max_len=300, required=False
    )
    with transaction(engine) as db:
        same_kind = db.exec(select(Meetup).where(Meetup.kind == meetup.kind))
        found = rules.breaches(_planned(meetup), map(_planned, same_kind), today=today)
        refusal = rules.refusal(found, reason)
        if refusal is not None:
            raise Refused(refusal)
        clash = _overlap(db, meetup)
        if clash is not None:
            raise Refused(
                f"同じ種類の開催回と時間が重なっています({clash.date:%-m月%-d日} "
                f"{clash.starts_at.astimezone(TZ):%H:%M}〜{clash.ends_at.astimezone(TZ):%H:%M})。"
            )
        db.add(meetup)
        db.flush()
        plan.meetup_id = meetup.id
        plan.exceptions = rules.exceptions_text(found, reason)
        db.add(plan)
        return meetup


@guarded(Action.MANAGE_MEETUPS)
async def create(request: Request) -> Response:
    form = await request.form()
    try:
        today = datetime.now(TZ).date()
        meetup = parse(form, today=today)
        meetup = await run_in_threadpool(
            partial(_create, request.app.state.engine, meetup, form, today=today)
        )
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    jobs.schedule(request.app.state.scheduler, meetup)
    await jobs.catch_up(meetup_id=meetup.id)  # a same-day session whose doors time has passed
    message = f"{jst_date(meetup.date)}の{MeetupKind(meetup.kind).label}を作成しました。"
    response = result(request, message)
    response.headers["HX-Redirect"] = f"/schedule?month={meetup.date:%Y-%m}"
    return response


def year_check(meetups: list[Meetup], fy: int) -> list[str]:
    """Where the fiscal year falls short of the spec's counts (Japanese, one line each)."""
    notes = []
    for kind, kind_rules in RULES.items():
        held = [m for m in meetups if m.kind == kind and fiscal_year(m.date) == fy]
        if len(held) < kind_rules.per_year:
            notes.append(f"{kind.label}: {len(held)}回(年{kind_rules.per_year}回必要)")
        if kind == MeetupKind.IN_PERSON:
            months = {m.date.month for m in held}
            missing = [f"{m}月" for m in AUG_TO_MAR if m not in months]
            if missing:
                notes.append(f"{kind.label}: 開催のない月 {'・'.join(missing)}(8月から毎月)")
    return notes


def weekend_count(meetups: list[Meetup], kind: str, fy: int) -> int:
    """Sessions of `kind` in the fiscal year on a Saturday, Sunday or public holiday (spec
    6(4)①: family classes on such days are encouraged)."""
    return sum(
        1
        for m in meetups
        if m.kind == kind
        and fiscal_year(m.date) == fy
        and (m.date.weekday() >= 5 or duedates.is_public_holiday(m.date))
    )


@guarded(Action.VIEW_DASHBOARD)
async def view(request: Request) -> Response:
    today = datetime.now(TZ).date()
    raw = request.query_params.get("month")
    first = forms.year_month(raw) if raw else today.replace(day=1)
    if first is None or not forms.FIRST_YEAR < first.year < forms.LAST_YEAR:
        return refuse(
            request, "表示する月は「2026-12」の形式で、2001年〜2199年の間で指定してください。", 400
        )
    fy = fiscal_year(first)

    def read():
        with Session(request.app.state.engine) as db:
            start, end = dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31)
            query = select(Meetup).where(Meetup.date >= start, Meetup.date <= end)
            found = list(db.exec(query.order_by(col(Meetup.starts_at))))
            return found, plans.plans_of(db, (m.id for m in found))

    meetups, meetup_plans = await run_in_threadpool(read)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    by_day: dict[dt.date, list[Meetup]] = {}
    for m in meetups:
        by_day.setdefault(m.date, []).append(m)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return page(
        request,
        "schedule/calendar.html",
        first=first,
        weeks=weeks,
        by_day=by_day,
        today=today,
        previous=previous,
        following=following,
        fy=fy,
        shortfalls=year_check(meetups, fy),
        plans=meetup_plans,
        family_weekends=weekend_count(meetups, MeetupKind.FAMILY_CLASS, fy),
        family_total=sum(
            1 for m in meetups if m.kind == MeetupKind.FAMILY_CLASS and fiscal_year(m.date) == fy
        ),
        due_dates=duedates.fiscal_year_due_dates(fy),
        next_report=duedates.next_report(today),
        rules=RULES,
        now=utcnow(),
    )
