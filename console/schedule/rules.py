"""The schedule rules of each kind of session (spec 6(1)②, 6(3)①, 6(4)①②), checked when a
session is created.

`breaches` is pure: the planned session, the sessions already planned, and today's date in, the
rules it breaks out. A breach says which rule and what to change. Some rules the manager may
break for a date agreed with the ward later (`breakable`): the session is then created only
with a reason, which is kept with it and shown on the schedule and in the monthly report.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from console.session.vocab import MeetupKind
from console.settings import TZ

AUG_TO_MAR = (8, 9, 10, 11, 12, 1, 2, 3)
LEAD_MONTHS = 2


@dataclass(frozen=True)
class Planned:
    """A session as planned: its kind, date and times (aware datetimes)."""

    kind: str
    date: dt.date
    doors_at: datetime
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Breach:
    code: str
    rule: str  # the rule, as the spec states it (Japanese)
    change: str  # what to change so the session keeps the rule (Japanese)
    breakable: bool = False

    @property
    def message(self) -> str:
        return f"{self.rule}。{self.change}"


def _hhmm(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%H:%M")


def months_ahead(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _times(plan: Planned, doors: str, start: str, end: str, spec: str) -> list[Breach]:
    if (_hhmm(plan.doors_at), _hhmm(plan.starts_at), _hhmm(plan.ends_at)) == (doors, start, end):
        return []
    label = MeetupKind(plan.kind).label
    entry = f"入室開始{doors}・" if doors != start else ""
    return [
        Breach(
            "hours",
            f"{label}の開催時間は{entry}{start}〜{end}です(仕様{spec})",
            f"入室開始{doors}、開始{start}、終了{end}にしてください",
        )
    ]


def _lead(plan: Planned, today: dt.date, spec: str) -> list[Breach]:
    if plan.date >= months_ahead(today, LEAD_MONTHS):
        return []
    label = MeetupKind(plan.kind).label
    return [
        Breach(
            "lead_time",
            f"{label}の日程は2か月以上前に確定する必要があります(仕様{spec})",
            f"{months_ahead(today, LEAD_MONTHS):%Y年%-m月%-d日}以降の日付にするか、区と合意した日程で"
            "あれば「ルールを外れる理由」を入力してください",
            breakable=True,
        )
    ]


def _metaverse(plan: Planned, others: list[Planned]) -> list[Breach]:
    found = _times(plan, "13:45", "14:00", "17:00", "6(1)②")
    if plan.date.month not in AUG_TO_MAR:
        found.append(
            Breach(
                "months",
                "メタバース居場所は8月〜3月に開催します(仕様6(1)②)",
                "8月〜3月の日付にするか、区と合意した開催であれば"
                "「ルールを外れる理由」を入力してください",
                breakable=True,
            )
        )
    same_month = [
        o for o in others if (o.date.year, o.date.month) == (plan.date.year, plan.date.month)
    ]
    if same_month:
        found.append(
            Breach(
                "once_a_month",
                f"メタバース居場所は月1回の開催です(仕様6(1)②)。{plan.date.month}月には"
                f"{same_month[0].date:%-m月%-d日}の回があります",
                "別の月の日付にしてください",
            )
        )
    return found


def _family_class(plan: Planned, today: dt.date) -> list[Breach]:
    found = []
    if plan.starts_at.astimezone(TZ).hour < 12:
        found.append(
            Breach(
                "afternoon",
                "家族教室は午後に開催します(仕様6(4)①)",
                "開始時刻を12:00以降にしてください",
            )
        )
    hours = (plan.ends_at - plan.starts_at).total_seconds() / 3600
    if not 2 <= hours <= 3:
        found.append(
            Breach(
                "length",
                f"家族教室は2〜3時間で設定してください(現在{hours:g}時間)(仕様6(4)①)",
                "終了時刻を開始の2〜3時間後にしてください",
            )
        )
    if plan.date.month not in (4, 5):  # spec 6(4)②: April and May may be fixed later
        found += _lead(plan, today, "6(4)②")
    return found


def breaches(plan: Planned, existing: Iterable[Planned], *, today: dt.date) -> list[Breach]:
    """Every schedule rule of its kind that `plan` breaks, hard rules first."""
    others = [o for o in existing if o.kind == plan.kind]
    if plan.kind == MeetupKind.METAVERSE:
        found = _metaverse(plan, others)
    elif plan.kind == MeetupKind.IN_PERSON:
        found = _times(plan, "14:00", "14:00", "17:00", "6(3)①") + _lead(plan, today, "6(3)①")
    else:
        found = _family_class(plan, today)
    return sorted(found, key=lambda b: b.breakable)


def refusal(found: list[Breach], reason: str) -> str | None:
    """The Japanese refusal for these breaches, or None when the session may be created (no
    breach, or only breakable ones and a reason given)."""
    hard = [b for b in found if not b.breakable]
    if hard:
        return "登録できません。" + " ".join(f"{b.message}。" for b in hard)
    if found and not reason:
        return "次のルールを外れています。" + " ".join(f"{b.message}。" for b in found)
    return None


def exceptions_text(found: list[Breach], reason: str) -> str:
    """What is kept with the session: each broken rule with the reason given."""
    return "\n".join(f"{b.rule}: {reason}" for b in found if b.breakable)
