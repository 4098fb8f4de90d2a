"""When a session's staffing rules were not met (spec 6(1)①カ, 6(3)①, 6(4)⑥, 7(1)(2)), from
its log: which rule, from when, to when. Shown on the post-session summary and written into
the monthly report's 「その他特筆すべき内容」 without anyone typing it."""

from collections.abc import Mapping, Set
from datetime import datetime

from console.live.models import Meetup
from console.reports.figures import SessionFigures, StaffInfo
from console.schedule.compliance import OnDuty, Rule, check_staffing, unmet_periods
from console.security.roles import Role
from console.session.vocab import MeetupKind
from console.settings import TZ


def _roster(duties, staff: Mapping[int, StaffInfo], experienced: Set[int]) -> list[OnDuty]:
    return [
        OnDuty(sid, staff[sid].role, staff[sid].qualified, post, sid in experienced)
        for sid, post in duties
        if sid in staff and Role.parse(staff[sid].role) is not None
    ]


def _rule_name(rule: Rule) -> str:
    """The rule without its current count: 「相談員3名以上」."""
    return rule.label.split("(")[0]


def unmet_times(
    meetup: Meetup,
    figs: SessionFigures,
    staff: Mapping[int, StaffInfo],
    experienced: Set[int],
    *,
    now: datetime,
) -> list[tuple[str, datetime, datetime]]:
    """(rule, from, to) for every period a staffing rule was unmet between doors-open and the
    close (or `now` for a session still open), in time order."""
    if figs.opened_at is None:
        return []
    family = meetup.kind == MeetupKind.FAMILY_CLASS
    groups = (len(figs.groups) or meetup.groups or 1) if family else None
    opened = figs.opened_at
    before = [d for at, d in figs.rosters if at <= opened]
    steps = [(opened, before[-1] if before else ())]
    steps += [(at, d) for at, d in figs.rosters if at > opened]
    snapshots = [
        (at, check_staffing(meetup.kind, _roster(d, staff, experienced), groups=groups))
        for at, d in steps
    ]
    names = {r.code: _rule_name(r) for _, results in snapshots for r in results}
    until = max(figs.closed_at or now, steps[-1][0])
    periods = unmet_periods(snapshots, until=until)
    found = [(names[code], start, end) for code, spans in periods.items() for start, end in spans]
    return sorted(found, key=lambda p: (p[1], p[0]))


def lines(periods: list[tuple[str, datetime, datetime]], *, prefix: str = "") -> list[str]:
    return [
        f"{prefix}{name}: {start.astimezone(TZ):%H:%M}〜{end.astimezone(TZ):%H:%M} 未充足"
        for name, start, end in periods
    ]
