"""The post-session summary and the monthly report (spec 6(7)), as documents of tables.

A `Document` is what every view and export renders: the page, CSV, xlsx and PDF all come from
the same tables, so they always agree. Documents are built from `figures.SessionFigures` (the
event log) plus participants' attributes; they hold counts only, never a name, a code or a
consultation's content. Three audiences:

- `manager`: exact figures, plus the staff notes marked "for the report" in a summary;
- `ward`: exact figures, no staff notes and no survey free text;
- `publication`: the ward's public releases: every count of people that is 1 or 2 shows as
  "3未満", so no one in a small district can be re-identified; no free text at all.
"""

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from console.settings import TZ

SMALL = "3未満"
NONE = "―"
WEEKDAYS = "月火水木金土日"
AUDIENCES = ("manager", "ward", "publication")
NOTES_HEADING = "報告用スタッフメモ"
# Free text only the manager reads: staff notes, and what participants wrote in surveys.
SURVEY_TEXT_HEADING = "② アンケート自由記述"
MANAGER_ONLY = (NOTES_HEADING, SURVEY_TEXT_HEADING)


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
            texts = tuple((h, t) for h, t in texts if h not in MANAGER_ONLY)
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


def generated_on(when: datetime) -> str:
    local = when.astimezone(TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
