"""The post-session summary: what one session produced (spec 6(7))."""

from collections.abc import Sequence
from dataclasses import replace

from sqlmodel import Session

from console.live.models import Meetup
from console.reports import breaches
from console.reports.chart import timeline_svg
from console.reports.documents import NONE, NOTES_HEADING, WEEKDAYS, Document, Row
from console.reports.figures import SessionFigures
from console.reports.inputs import attributes, class_info, figures_of, relations, staff_roster
from console.reports.sections import Context, sections
from console.schedule import plans
from console.schedule.models import SessionPlan
from console.session.vocab import MeetupKind, spaces_of
from console.settings import TZ
from console.store.columns import utcnow


def session_label(meetup: Meetup, *, year: bool = False) -> str:
    kind = MeetupKind.parse(meetup.kind)
    day = meetup.date
    when = f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}/{day.day}"
    return f"{when}({WEEKDAYS[day.weekday()]}) {kind.label if kind else meetup.kind}"


BREACHES_HEADING = "配置基準を満たさなかった時間"
PLAN_HEADING = "開催情報"


def plan_text(meetup: Meetup, plan: SessionPlan | None) -> str:
    """Venue, and a family class's lecturer and theme; a broken schedule rule with its reason."""
    lines = [f"会場: {plan.venue if plan and plan.venue else NONE}"]
    if meetup.kind == MeetupKind.FAMILY_CLASS:
        lines.append(f"講師: {plan.lecturer if plan and plan.lecturer else NONE}")
        lines.append(f"テーマ・内容: {plan.theme if plan and plan.theme else NONE}")
    if plan and plan.exceptions:
        lines += [f"ルールを外れた日程(理由): {line}" for line in plan.exceptions.splitlines()]
    return "\n".join(lines)


def summary_document(
    meetup: Meetup,
    figs: SessionFigures,
    context: Context,
    chart: str,
    *,
    breaches: Sequence[str] = (),
    plan: SessionPlan | None = None,
) -> Document:
    """The post-session summary: what one session produced, for the manager (and the ward)."""
    peak_at = figs.peak_at.astimezone(TZ).strftime("%H:%M") if figs.peak_at else NONE
    tables = list(sections([[figs]], ("値",), context.attrs, kind=meetup.kind, context=context))
    tables[0] = replace(
        tables[0],
        rows=(*tables[0].rows, Row("最大同時参加の時刻", (peak_at,), people=False)),
    )
    notes = "\n".join(f"{at.astimezone(TZ):%H:%M} {text}" for at, text in figs.report_notes)
    status = "" if figs.closed else "(開催中の速報値)"
    return Document(
        title="開催後の集計",
        subtitle=f"{session_label(meetup, year=True)}{status}",
        tables=tuple(tables),
        texts=(
            (PLAN_HEADING, plan_text(meetup, plan)),
            (BREACHES_HEADING, "\n".join(breaches) or "なし(すべての配置基準を満たした)"),
            (NOTES_HEADING, notes or "なし"),
        ),
        chart=chart,
    )


def build_summary(db: Session, meetup_id: int) -> Document | None:
    """The post-session summary of a meetup as the log stands now (None: no such meetup)."""
    meetup = db.get(Meetup, meetup_id)
    if meetup is None:
        return None
    staff = staff_roster(db)
    figs = figures_of(db, meetup, staff)
    chart = timeline_svg(figs.timeline, meetup.doors_at, spaces_of(meetup.kind))
    context = Context(
        attributes(db, figs.participants),
        relations(db, figs.participants),
        classes=class_info(db, [meetup], {meetup.id: figs}),
    )
    found = breaches.unmet_times(meetup, figs, staff, plans.experienced_staff(db), now=utcnow())
    return summary_document(
        meetup,
        figs,
        context,
        chart,
        breaches=breaches.lines(found),
        plan=plans.plan_of(db, meetup.id),
    )
