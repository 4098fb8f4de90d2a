"""A report `Document` as CSV, Excel (.xlsx) and PDF bytes.

- CSV is UTF-8 with a byte-order mark and CRLF line ends, which Excel in Japan opens correctly;
  the same document always gives the same bytes.
- xlsx (openpyxl) has one sheet per table plus one for the free text. Its document properties
  and zip entry times are fixed, so it too is byte-for-byte reproducible.
- Every text is safe to open (ASVS 5.3.10): a cell that begins with `= + - @`, a tab or a
  carriage return is never a formula — prefixed with `'` in CSV, stored as plain text (with
  Excel's quote prefix) in xlsx — and characters XML cannot hold are dropped, so a report
  finalised before input was cleaned can still be exported.
- xlsx prints on A4 fitted to the page width, each sheet's heading rows repeated on every
  page, with page numbers in the footer.
- PDF (WeasyPrint) is A4 portrait in Noto Sans CJK JP (Debian's fonts-noto-cjk), with the chart,
  and says what a ward official files it by (`Issue`): title, 対象期間, 版, 下書き or 確定 (with
  when), 作成日, the issuer and the addressee, and 「1 / 3」 page numbers in the same face.
"""

import csv
import ctypes.util
import io
import re
import shutil
import subprocess
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from console.core.templating import pdf_of, templates
from console.reports.documents import Document
from console.reports.issue import Issue

FIXED_TIME = datetime(2000, 1, 1)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value):
    """A cell's value without the characters XML cannot hold (numbers unchanged)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _csv_cell(value):
    value = _text(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    """csv.writer whose every cell goes through `_csv_cell`."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: list) -> None:
        self._writer.writerow([_csv_cell(value) for value in row])


def to_csv(document: Document) -> bytes:
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow([document.title])
    writer.writerow([document.subtitle])
    for table in document.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(["項目", *table.columns])
        for row in table.rows:
            writer.writerow([row.label, *row.cells])
        if table.note:
            writer.writerow([f"注: {table.note}"])
    for heading, text in document.texts:
        writer.writerow([])
        writer.writerow([heading])
        writer.writerow([text])
    return out.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", title)[:28] or "表"
    base, n = name, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name


def _append(sheet, values: list) -> None:
    """Append a row; a text that looks like a formula is stored as text, never evaluated."""
    sheet.append([_text(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True


def to_xlsx(document: Document) -> bytes:
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in document.tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        _append(sheet, [f"{document.title} {table.title}"])
        sheet["A1"].font = Font(bold=True, size=13)
        _append(sheet, [document.subtitle])
        _append(sheet, ["項目", *table.columns])
        for cell in sheet[3]:
            cell.font = bold
        for row in table.rows:
            _append(sheet, [row.label, *row.cells])
        if table.note:
            sheet.append([])
            _append(sheet, [f"注: {table.note}"])
        sheet.column_dimensions["A"].width = 44
        for index in range(len(table.columns)):
            sheet.column_dimensions[get_column_letter(index + 2)].width = 18
        sheet.freeze_panes = "B4"
        _print_setup(sheet, title_rows="1:3")
    if document.texts:
        sheet = book.create_sheet(_sheet_title("記述", used))
        sheet.column_dimensions["A"].width = 100
        for heading, text in document.texts:
            _append(sheet, [heading])
            sheet.cell(sheet.max_row, 1).font = bold
            _append(sheet, [text])
            sheet.cell(sheet.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
            sheet.append([])
        _print_setup(sheet, title_rows=None)
    book.properties.creator = "セッションコンソール"
    book.properties.created = book.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_zip_times(raw.getvalue())


def _print_setup(sheet, *, title_rows: str | None) -> None:
    """A4 portrait, fitted to one page wide (as many pages tall as it needs), the heading rows
    on every page, and 「1 / 3」 in the footer."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.oddFooter.center.text = "&P / &N"


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every entry dated FIXED_TIME, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def print_html(document: Document, issue: Issue) -> str:
    return templates.get_template("reports/report_print.html").render(doc=document, issue=issue)


def to_pdf(document: Document, issue: Issue) -> bytes:
    return pdf_of(print_html(document, issue))


def export(document: Document, fmt: str, issue: Issue) -> bytes:
    """The document in `fmt`; `issue` is printed on the PDF (CSV and xlsx stay the same bytes
    for the same document, whenever they are made)."""
    if fmt == "pdf":
        return to_pdf(document, issue)
    return {"csv": to_csv, "xlsx": to_xlsx}[fmt](document)


def missing_for_pdf() -> list[str]:
    """What the PDF exports need from the system and cannot find, in words for the operator:
    the CJK font (without it Japanese prints as boxes) and HarfBuzz's subsetter (without it
    every PDF embeds the whole font, slowly)."""
    missing = []
    fonts = ""
    if shutil.which("fc-list"):
        fonts = subprocess.run(
            ["fc-list", ":", "family"], capture_output=True, text=True, check=False
        ).stdout
    if "Noto Sans CJK" not in fonts:
        missing.append("日本語フォント Noto Sans CJK(Debian/Ubuntu: fonts-noto-cjk)")
    if ctypes.util.find_library("harfbuzz-subset") is None:
        missing.append("HarfBuzz のサブセット化ライブラリ(Debian/Ubuntu: libharfbuzz-subset0)")
    return missing
