"""The post-session summary and the monthly report (spec 6(7)), as documents of tables.

A `Document` is what every view and export renders: the page, CSV, xlsx and PDF all come from
the same tables, so they always agree. Documents are built from `figures.SessionFigures` (the
event log) plus participants' attributes; they hold counts only, never a name, a code or a
consultation's content. Three audiences:

- `manager`: exact figures, plus the staff notes marked "for the report" in a summary;
- `ward`: exact figures, no staff notes;
- `publication`: the ward's public releases: every count of people that is 1 or 2 shows as
  "3未満", so no one in a small district can be re-identified; no free text at all.
"""

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from console import duedates, eventlog, settings
from console.chart import timeline_svg
from console.db import transaction
from console.figures import UNRECORDED_TOPIC, SessionFigures, StaffInfo, session_figures
from console.models import FiguresCache, Meetup, Participant, Staff, utcnow
from console.settings import TZ
from console.vocab import AgeBracket, District, MeetupKind, MeetupStatus, Role, Space

SMALL = "3未満"
NONE = "―"
WEEKDAYS = "月火水木金土日"
AUDIENCES = ("manager", "ward", "publication")


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[int | str, ...]
    people: bool = True  # counts participants: masked below 3 for publication


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    tables: tuple[Table, ...]
    texts: tuple[tuple[str, str], ...] = ()  # (heading, free text)
    chart: str = ""  # inline SVG markup
    audience: str = "manager"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Document":
        data = json.loads(text)
        tables = tuple(
            Table(
                key=t["key"],
                title=t["title"],
                columns=tuple(t["columns"]),
                rows=tuple(Row(r["label"], tuple(r["cells"]), r["people"]) for r in t["rows"]),
                note=t["note"],
            )
            for t in data["tables"]
        )
        texts = tuple((h, body) for h, body in data["texts"])
        return cls(
            title=data["title"],
            subtitle=data["subtitle"],
            tables=tables,
            texts=texts,
            chart=data["chart"],
            audience=data["audience"],
        )

    def for_audience(self, audience: str) -> "Document":
        """This document as `audience` may read it (see the module's docstring)."""
        if audience == "manager":
            return self
        texts = () if audience == "publication" else self.texts
        if audience == "ward":
            texts = tuple((h, t) for h, t in texts if h != NOTES_HEADING)
        tables = self.tables
        if audience == "publication":
            tables = tuple(replace(t, rows=tuple(_masked(r) for r in t.rows)) for t in tables)
        title = self.title + ("(公表用)" if audience == "publication" else "")
        return replace(self, title=title, tables=tables, texts=texts, audience=audience)

    def cells(self) -> dict[tuple[str, str, str], int | str]:
        """Every figure keyed by (table title, row label, column), plus the free texts."""
        flat: dict[tuple[str, str, str], int | str] = {}
        for table in self.tables:
            for row in table.rows:
                for column, cell in zip(table.columns, row.cells, strict=True):
                    flat[(table.title, row.label, column)] = cell
        for heading, text in self.texts:
            flat[("記述", heading, "")] = text
        return flat


def _masked(row: Row) -> Row:
    if not row.people:
        return row
    cells = tuple(SMALL if isinstance(c, int) and 0 < c < 3 else c for c in row.cells)
    return replace(row, cells=cells)


@dataclass(frozen=True)
class Change:
    table: str
    row: str
    column: str
    before: int | str | None
    after: int | str | None


def differences(before: Document, after: Document) -> list[Change]:
    """What changed from one version to the next, cell by cell, in the newer one's order."""
    old, new = before.cells(), after.cells()
    keys = list(new) + [k for k in old if k not in new]
    return [Change(*k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


# --- reading the log -------------------------------------------------------------------------


def staff_roster(db: Session) -> dict[int, StaffInfo]:
    return {
        s.id: StaffInfo(role=s.role, qualification=s.qualification) for s in db.exec(select(Staff))
    }


def figures_of(db: Session, meetup: Meetup, staff: Mapping[int, StaffInfo]) -> SessionFigures:
    """One meetup's figures from its whole log (an open meetup measured up to now). A closed
    meetup's figures are kept in `FiguresCache` and reused while its log and the roster stand."""
    closed = meetup.status == MeetupStatus.CLOSED
    roster = roster_key(staff)
    if closed:
        cached = db.get(FiguresCache, meetup.id)
        if cached is not None and (cached.last_seq, cached.roster) == (meetup.last_seq, roster):
            return SessionFigures.from_json(cached.data)
    events = eventlog.read_since(db, meetup.id, 0)
    figures = session_figures(
        meetup_id=meetup.id,
        doors_at=meetup.doors_at,
        ends_at=meetup.ends_at,
        events=events,
        staff=staff,
        until=None if closed else utcnow(),
    )
    if closed and events and events[-1].seq == meetup.last_seq:
        _keep(db.get_bind(), meetup.id, meetup.last_seq, roster, figures)
    return figures


def keep_figures(engine, meetup_id: int) -> None:
    """Compute and keep a closed meetup's figures (run when it closes)."""
    with Session(engine) as db:
        meetup = db.get(Meetup, meetup_id)
        if meetup is not None:
            figures_of(db, meetup, staff_roster(db))


def roster_key(staff: Mapping[int, StaffInfo]) -> str:
    text = json.dumps(sorted((k, v.role, v.qualification) for k, v in staff.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def _keep(engine, meetup_id: int, last_seq: int, roster: str, figures: SessionFigures) -> None:
    """Store figures in a short transaction of their own; losing a race to store them is fine."""
    with contextlib.suppress(IntegrityError), transaction(engine) as db:
        db.merge(
            FiguresCache(
                meetup_id=meetup_id, last_seq=last_seq, roster=roster, data=figures.to_json()
            )
        )


def attributes(db: Session, participant_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """participant id -> (age bracket, district): the attributes the ward's report asks for."""
    ids = sorted(set(participant_ids))
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(Participant.id, Participant.age_bracket, Participant.district)
        for pid, age, district in db.exec(query.where(col(Participant.id).in_(chunk))):
            found[pid] = (age, district)
    return found


# --- the documents ---------------------------------------------------------------------------

Measure = Callable[[Sequence[SessionFigures]], int | str]
"""A row's figure for one or more sessions (one session's column, the month, the year)."""


def _union(figs: Sequence[SessionFigures], part: Callable[[SessionFigures], set]) -> int:
    people: set[int] = set()
    for f in figs:
        people |= part(f)
    return len(people)


def _rows(
    spec: Sequence[tuple[str, Measure, bool]], columns: Sequence[Sequence[SessionFigures]]
) -> tuple[Row, ...]:
    return tuple(
        Row(label, tuple(measure(figs) for figs in columns), people)
        for label, measure, people in spec
    )


def _topics(figs: Sequence[SessionFigures]) -> list[str]:
    seen = {t for f in figs for t in f.topics}
    order = [*settings.CONSULTATION_TOPICS, UNRECORDED_TOPIC]
    return [t for t in order if t in seen] + sorted(seen - set(order))


def _sections(
    columns: Sequence[Sequence[SessionFigures]],
    headings: tuple[str, ...],
    attrs: Mapping[int, tuple[str, str]],
    *,
    applicants: bool,
) -> tuple[Table, ...]:
    """The report's tables; each column of figures is one session or a span of sessions."""
    everything = [f for figs in columns for f in figs]

    def with_attr(index: int, value: str) -> Measure:
        return lambda figs: _union(
            figs,
            lambda f: {p for p in f.participants if attrs.get(p, ("unknown",) * 2)[index] == value},
        )

    participation: list[tuple[str, Measure, bool]] = []
    if applicants:
        participation.append(("申込人数", lambda figs: NONE, True))
    participation += [
        ("参加人数(実人数)", lambda figs: _union(figs, lambda f: f.participants), True),
        ("うち途中参加", lambda figs: _union(figs, lambda f: f.late_joiners), True),
        ("延べ参加人数", lambda figs: sum(len(f.participants) for f in figs), True),
        ("最大同時参加人数", lambda figs: max((f.peak for f in figs), default=0), True),
    ]
    spaces: list[tuple[str, Measure, bool]] = []
    for space in Space:
        spaces.append(
            (
                f"{space.label} 利用者数(人)",
                lambda figs, s=space: sum(len(f.visitors[s]) for f in figs),
                True,
            )
        )
        spaces.append(
            (
                f"{space.label} 延べ滞在時間(分)",
                lambda figs, s=space: sum(f.minutes(s) for f in figs),
                False,
            )
        )
    consultations: list[tuple[str, Measure, bool]] = [
        ("個別相談受付件数", lambda figs: sum(f.consultations for f in figs), True),
    ]
    for topic in _topics(everything):
        consultations.append(
            (f"主な相談内容: {topic}", lambda figs, t=topic: sum(f.topics[t] for f in figs), True)
        )
    consultations.append(
        (
            "ひきこもり支援専用相談窓口への情報提供件数",
            lambda figs: sum(f.handoffs for f in figs),
            True,
        )
    )
    staffing: list[tuple[str, Measure, bool]] = [
        ("参加した相談員数", lambda figs: sum(len(f.counsellors) for f in figs), False),
        (
            "うち専門相談員数",
            lambda figs: sum(len(f.qualified_counsellors) for f in figs),
            False,
        ),
    ]
    for role in (Role.MANAGER, Role.FACILITATOR, Role.SUPPORT):
        staffing.append(
            (f"{role.label}数", lambda figs, r=role: sum(len(f.on_duty[r]) for f in figs), False)
        )
    safety: list[tuple[str, Measure, bool]] = [
        ("強制退室者数", lambda figs: sum(len(f.forced_out) for f in figs), True),
        ("トラブル等の有無", lambda figs: "有" if any(f.troubles for f in figs) else "無", False),
        ("トラブル等の件数", lambda figs: sum(f.troubles for f in figs), False),
        ("利用規約違反の通報件数", lambda figs: sum(f.flags for f in figs), False),
        ("事前通告(警告)件数", lambda figs: sum(f.warnings for f in figs), True),
        ("ブロック件数", lambda figs: sum(f.blocks for f in figs), True),
        ("ブロック中の入室拒否件数", lambda figs: sum(f.refused_entries for f in figs), True),
    ]
    kinds = sorted({k for f in everything for k in f.incidents})
    for kind in kinds:
        safety.append(
            (
                f"トラブル等の内訳: {kind}",
                lambda figs, k=kind: sum(f.incidents[k] for f in figs),
                False,
            )
        )
    ages = [(bracket.label, with_attr(0, bracket.value), True) for bracket in AgeBracket]
    districts = [(d.label, with_attr(1, d.value), True) for d in District]
    return (
        Table("participation", "参加状況", headings, _rows(participation, columns)),
        Table(
            "ages",
            "参加者の属性(年代)",
            headings,
            _rows(ages, columns),
            note="参加者(実人数)の登録情報による。",
        ),
        Table(
            "districts",
            "参加者の属性(地区)",
            headings,
            _rows(districts, columns),
            note="参加者(実人数)の登録情報による。",
        ),
        Table(
            "spaces",
            "各スペースの利用状況",
            headings,
            _rows(spaces, columns),
            note="利用者数は各回の実人数の合計。滞在時間は入室・移動・退室の記録から算出。",
        ),
        Table("consultations", "個別相談", headings, _rows(consultations, columns)),
        Table(
            "staffing",
            "従事者",
            headings,
            _rows(staffing, columns),
            note="当月計・年度累計は各回の人数の合計(延べ)。",
        ),
        Table("safety", "利用規約違反・トラブル等", headings, _rows(safety, columns)),
    )


NOTES_HEADING = "報告用スタッフメモ"


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
    tables = list(_sections([[figs]], ("値",), attrs, applicants=False))
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


def monthly_document(
    year: int,
    month: int,
    sessions: Sequence[tuple[Meetup, SessionFigures]],
    year_so_far: Sequence[SessionFigures],
    attrs: Mapping[int, tuple[str, str]],
    text: FreeText,
) -> Document:
    """月次報告書: each session of the month, the month, and the fiscal year to date."""
    headings = (*(session_label(m) for m, _ in sessions), "当月計", "年度累計")
    columns = [*([f] for _, f in sessions), [f for _, f in sessions], list(year_so_far)]
    tables = _sections(columns, headings, attrs, applicants=True)
    tables = (
        replace(tables[0], note="申込人数は申込受付の記録から計上する(記録がない場合は―)。"),
        *tables[1:],
    )
    fy = fiscal_year(year, month)
    due = duedates.report_due(year, month)
    return Document(
        title=f"月次報告書 {year}年{month}月分",
        subtitle=(
            f"{fy}年度 ・ 提出期限 {due.year}年{due.month}月{due.day}日 ・ "
            f"対象 {len(sessions)}回(年度累計 {len(year_so_far)}回)"
        ),
        tables=tables,
        texts=(
            ("① その他特筆すべき内容", text.notable or "特になし"),
            ("② アンケート集計結果", SURVEY_NONE),
            ("③ その他発注者が指定した内容", text.ward_items or "特になし"),
        ),
    )


def build_monthly(db: Session, year: int, month: int, text: FreeText) -> Document:
    """The monthly report as the log stands now."""
    staff = staff_roster(db)
    sessions, year_so_far = month_meetups(db, year, month)
    figures = {m.id: figures_of(db, m, staff) for m in year_so_far}
    attrs = attributes(db, (p for f in figures.values() for p in f.participants))
    return monthly_document(
        year,
        month,
        [(m, figures[m.id]) for m in sessions],
        [figures[m.id] for m in year_so_far],
        attrs,
        text,
    )


def generated_on(when: datetime) -> str:
    local = when.astimezone(TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
