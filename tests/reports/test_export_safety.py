"""What goes into a file for the ward (issue 11, 4 and 5): control characters are refused
before they are stored, a formula typed into free text is never live in a CSV or an xlsx,
and a finalised report can always be exported."""

import csv
import io
import zipfile

from openpyxl import load_workbook
from sqlmodel import Session, select

from console.reports import exports
from console.reports.documents import Document, Row, Table
from console.reports.models import MonthlyReport

FORMULA = '=HYPERLINK("http://example.invalid","clickme")'


def test_control_characters_in_the_monthly_texts_are_refused_and_nothing_is_stored(staff, engine):
    manager = staff("manager")
    for field in ("notable", "ward_items"):
        for bad in ("報告\x0bです", "a\x00b", "\x1b[31m", "右から\u202e左へ"):
            answer = manager.http.post(
                "/monthly/2025/5/text",
                data={field: bad},
                headers={"X-CSRF-Token": manager.csrf, "HX-Request": "true"},
            )
            assert answer.status_code == 422 and "制御文字" in answer.text
    with Session(engine) as db:
        assert db.exec(select(MonthlyReport).where(MonthlyReport.year == 2025)).first() is None


def test_a_formula_typed_by_staff_reaches_the_ward_as_text(staff):
    manager, ward = staff("manager"), staff("ward")
    headers = {"X-CSRF-Token": manager.csrf}
    saved = manager.http.post("/monthly/2025/6/text", data={"notable": FORMULA}, headers=headers)
    assert saved.status_code == 303
    final = manager.http.post(
        "/monthly/2025/6/finalise", data={"version": "1", "agree": "on"}, headers=headers
    )
    assert final.status_code == 303
    for client in (manager, ward):
        xlsx = client.http.get("/monthly/2025/6/v1.xlsx?for=ward")
        assert xlsx.status_code == 200, xlsx.text
        sheets = zipfile.ZipFile(io.BytesIO(xlsx.content))
        xml = b"".join(sheets.read(n) for n in sheets.namelist() if n.startswith("xl/"))
        assert b"<f>" not in xml  # no formula anywhere
        book = load_workbook(io.BytesIO(xlsx.content))
        cells = [
            c for sheet in book for row in sheet.iter_rows() for c in row if c.value == FORMULA
        ]
        assert cells and all(c.data_type == "s" for c in cells)
        text = client.http.get("/monthly/2025/6/v1.csv?for=ward").content.decode("utf-8-sig")
        values = [value for row in csv.reader(io.StringIO(text)) for value in row]
        assert "'" + FORMULA in values and FORMULA not in values


def test_every_formula_start_is_neutralised_and_illegal_xml_characters_dropped():
    """A document holding what older versions stored (before input was cleaned) exports."""
    texts = tuple((f"h{i}", f"{start}1+1 報告\x0bです") for i, start in enumerate("=+-@\t\r"))
    legacy = Document(
        title="月次報告書",
        subtitle="",
        tables=(Table("t", "表", ("値",), (Row("=SUM(A1)", (3,)),)),),
        texts=texts,
    )
    rows = list(csv.reader(io.StringIO(exports.to_csv(legacy).decode("utf-8-sig"))))
    cells = [value for row in rows for value in row if "1+1" in value or "SUM" in value]
    assert cells and all(value.startswith("'") for value in cells)
    assert not any("\x0b" in value for row in rows for value in row)
    book = load_workbook(io.BytesIO(exports.to_xlsx(legacy)))
    found = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert all(c.data_type != "f" for c in found)
    assert any(c.value == "=SUM(A1)" and c.data_type == "s" for c in found)
