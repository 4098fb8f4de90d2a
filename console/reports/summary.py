"""The post-session summary: what one session produced (spec 6(7))."""

from collections.abc import Mapping
from dataclasses import replace

from sqlmodel import Session

from console.live.models import Meetup
from console.reports.chart import timeline_svg
from console.reports.documents import NONE, NOTES_HEADING, WEEKDAYS, Document, Row
from console.reports.figures import SessionFigures
from console.reports.inputs import attributes, figures_of, staff_roster
from console.reports.sections import sections
from console.session.vocab import MeetupKind
from console.settings import TZ


def session_label(meetup: Meetup, *, year: bool = False) -> str:
    kind = MeetupKind.parse(meetup.kind)
    day = meetup.date
    when = f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}/{day.day}"
    return f"{when}({WEEKDAYS[day.weekday()]}) {kind.label if kind else meetup.kind}"


def summary_document(
    meetup: Meetup, figs: SessionFigures, attrs: Mapping[int, tuple[str, str]], chart: str
) -> Document:
    """The post-session summary: what one session produced, for the manager (and the ward)."""
    peak_at = figs.peak_at.astimezone(TZ).strftime("%H:%M") if figs.peak_at else NONE
    tables = list(sections([[figs]], ("値",), attrs))
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
        texts=((NOTES_HEADING, notes or "なし"),),
        chart=chart,
    )


def build_summary(db: Session, meetup_id: int) -> Document | None:
    """The post-session summary of a meetup as the log stands now (None: no such meetup)."""
    meetup = db.get(Meetup, meetup_id)
    if meetup is None:
        return None
    figs = figures_of(db, meetup, staff_roster(db))
    chart = timeline_svg(figs.timeline, meetup.doors_at)
    return summary_document(meetup, figs, attributes(db, figs.participants), chart)
