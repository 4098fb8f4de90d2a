"""The monthly report (月次報告書, spec 6(7)) as the log stands now."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, select

from console.core.templating import jst_date
from console.live.models import Meetup
from console.reports import breaches
from console.reports.documents import Document, Table
from console.reports.figures import SessionFigures
from console.reports.inputs import (
    applicants,
    attributes,
    class_info,
    figures_of,
    relations,
    staff_roster,
)
from console.reports.kept import kept_document, with_text
from console.reports.sections import Context, sections
from console.reports.summary import session_label
from console.reports.survey_tables import TEXT_HEADING, SurveyColumn, free_texts, survey_table
from console.schedule import plans
from console.schedule.calendar import duedates
from console.session.vocab import MeetupKind, MeetupStatus
from console.store.columns import utcnow
from console.surveys.queries import session_survey


def fiscal_year(year: int, month: int) -> int:
    return year if month >= 4 else year - 1


def month_meetups(db: Session, year: int, month: int) -> tuple[list[Meetup], list[Meetup]]:
    """(closed sessions of the month, closed sessions of the fiscal year up to its end)."""
    first = date(fiscal_year(year, month), 4, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    rows = db.exec(
        select(Meetup)
        .where(Meetup.date >= first, Meetup.date < end, Meetup.status == MeetupStatus.CLOSED)
        .order_by(Meetup.date, Meetup.starts_at, Meetup.id)
    )
    year_so_far = list(rows)
    return [m for m in year_so_far if (m.date.year, m.date.month) == (year, month)], year_so_far


@dataclass(frozen=True)
class FreeText:
    notable: str = ""
    ward_items: str = ""


SURVEY_NONE = "この月のアンケート回答の記録はありません。"
SURVEY_SEE_TABLE = "表「② アンケート集計結果」のとおり(回答率は回答数÷参加者数)。"


def survey_columns(
    db: Session, sessions: Sequence[tuple[Meetup, SessionFigures]]
) -> list[SurveyColumn]:
    """One column per session of the month that had a survey, then the month's."""
    columns = []
    for meetup, figs in sessions:
        survey = session_survey(db, meetup.id, with_texts=True)
        if survey is not None:
            columns.append(
                SurveyColumn(
                    session_label(meetup),
                    len(figs.participants),
                    survey.responses,
                    survey.questions,
                )
            )
    if columns:
        columns.append(
            SurveyColumn(
                "当月計",
                sum(c.participants for c in columns),
                tuple(r for c in columns for r in c.responses),
                tuple(q for c in columns for q in c.questions),
            )
        )
    return columns


APPLICANTS_NOTE = (
    "申込人数は申込の記録から数えた実人数。メタバース居場所の申込(年度ごとの登録)は、"
    "受付日以後の最初の回に数える。"
)


def service_tables(
    kind: MeetupKind,
    sessions: Sequence[tuple[Meetup, SessionFigures]],
    year_so_far: Sequence[tuple[Meetup, SessionFigures]],
    context: Context,
) -> tuple[Table, ...]:
    """One service's section: its sessions of the month, the month, its fiscal year to date.
    Every table's key starts with the service (`family_class.participation`) and its title
    names it (【家族教室】参加状況)."""
    mine = [(m, f) for m, f in sessions if m.kind == kind]
    year = [f for m, f in year_so_far if m.kind == kind]
    headings = (*(session_label(m) for m, _ in mine), "当月計", "年度累計")
    columns = [*([f] for _, f in mine), [f for _, f in mine], year]
    tables = sections(columns, headings, context.attrs, kind=kind, context=context)
    named = []
    for table in tables:
        note = table.note
        if table.key == "participation":
            note = APPLICANTS_NOTE
        named.append(
            replace(
                table, key=f"{kind}.{table.key}", title=f"【{kind.label}】{table.title}", note=note
            )
        )
    return tuple(named)


AUTOMATIC_HEADING = "① その他特筆すべき内容(自動記載: 配置基準の未充足・日程のルール外)"


def monthly_document(
    year: int,
    month: int,
    sessions: Sequence[tuple[Meetup, SessionFigures]],
    year_so_far: Sequence[tuple[Meetup, SessionFigures]],
    context: Context,
    text: FreeText,
    surveys: Sequence[SurveyColumn] = (),
    automatic: Sequence[str] = (),
) -> Document:
    """月次報告書: one section per service held in the fiscal year so far (metaverse, in-person,
    family class), each with its sessions of the month, the month, and the year to date."""
    held = {m.kind for m, _ in year_so_far}
    tables: tuple[Table, ...] = ()
    for kind in MeetupKind:
        if kind in held:
            tables += service_tables(kind, sessions, year_so_far, context)
    survey_texts: tuple[tuple[str, str], ...] = ()
    if surveys:
        tables = (*tables, survey_table(surveys))
        written = free_texts(surveys[:-1])
        survey_texts = ((TEXT_HEADING, written),) if written else ()
    fy = fiscal_year(year, month)
    due = duedates.report_due(year, month)
    return Document(
        title=f"月次報告書 {year}年{month}月分",
        subtitle=(
            f"{fy}年度 ・ 提出期限 {jst_date(due)} ・ "
            f"対象 {len(sessions)}回(年度累計 {len(year_so_far)}回)"
        ),
        tables=tables,
        texts=(
            ("① その他特筆すべき内容", text.notable or "特になし"),
            (AUTOMATIC_HEADING, "\n".join(automatic) or "特になし"),
            ("② アンケート集計結果", SURVEY_SEE_TABLE if surveys else SURVEY_NONE),
            *survey_texts,
            ("③ その他発注者が指定した内容", text.ward_items or "特になし"),
        ),
    )


def automatic_notes(
    db: Session, sessions: Sequence[tuple[Meetup, SessionFigures]], staff
) -> list[str]:
    """Each session's staffing breaches and broken schedule rules, one line each."""
    experienced = plans.experienced_staff(db)
    found = plans.plans_of(db, (m.id for m, _ in sessions))
    notes = []
    for meetup, figs in sessions:
        label = session_label(meetup)
        periods = breaches.unmet_times(meetup, figs, staff, experienced, now=utcnow())
        notes += breaches.lines(periods, prefix=f"{label} 配置基準 ")
        plan = found.get(meetup.id)
        if plan and plan.exceptions:
            notes += [f"{label} 日程のルール外: {line}" for line in plan.exceptions.splitlines()]
    return notes


def build_monthly(db: Session, year: int, month: int, text: FreeText) -> Document:
    """The monthly report as the log stands now (as it stood, once a disposal kept it)."""
    kept = kept_document(db, year, month)
    if kept is not None:
        return with_text(kept, text.notable, text.ward_items)
    staff = staff_roster(db)
    sessions, year_so_far = month_meetups(db, year, month)
    figures = {m.id: figures_of(db, m, staff) for m in year_so_far}
    people = [p for f in figures.values() for p in f.participants]
    context = Context(
        attributes(db, people),
        relations(db, people),
        applicants=applicants(db, year_so_far),
        classes=class_info(db, year_so_far, figures),
    )
    month_pairs = [(m, figures[m.id]) for m in sessions]
    return monthly_document(
        year,
        month,
        month_pairs,
        [(m, figures[m.id]) for m in year_so_far],
        context,
        text,
        survey_columns(db, month_pairs),
        automatic_notes(db, month_pairs, staff),
    )
