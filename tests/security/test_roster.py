"""The staff roster: create, contact details (encrypted), role change with a reason,
deactivation ending the logins at once, and the 実施体制図 PDF as a recorded take-out."""

import re

import pypdfium2
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from console.security.models import Staff as StaffRow
from console.security.models import StaffChange, TakeoutRecord
from tests.conftest import Staff, make_server, seed


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roster")
    url = f"sqlite:///{tmp / 'roster.db'}"
    engine, _ = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, engine
    srv.stop()
    engine.dispose()


def post(staff: Staff, path: str, **data):
    return staff.http.post(path, data=data, headers={"X-CSRF-Token": staff.csrf})


def row(engine, login_id: str) -> StaffRow:
    with Session(engine) as db:
        return db.exec(select(StaffRow).where(StaffRow.login_id == login_id)).one()


def test_the_manager_keeps_the_roster_and_a_deactivated_login_ends_at_once(site):
    server, engine = site
    manager = Staff(server, "manager")
    assert Staff(server, "support").http.get("/security/staff").status_code == 403
    refused = post(
        manager,
        "/security/staff",
        login_id="c9",
        display_name="相談員 九",
        role="counsellor",
        password="demo-pass-2026",
    )
    assert refused.status_code == 422 and "資格" in refused.text  # a counsellor needs one
    created = post(
        manager,
        "/security/staff",
        login_id="c9",
        display_name="相談員 九",
        role="counsellor",
        qualification="psw",
        password="demo-pass-2026",
    )
    assert created.status_code == 303
    c9 = row(engine, "c9")
    for field, value, message in (
        ("phone", "abc", "電話番号は数字とハイフン"),
        ("email", "notanemail", "メールアドレスの形"),
        ("pledge_on", "2099-01-01", "未来の日付"),
        ("training_days", "2099-01-01", "未来の日付"),
    ):
        bad = post(manager, f"/security/staff/{c9.id}/profile", **{field: value})
        assert bad.status_code == 422 and message in bad.text, (field, bad.text)
    saved = post(
        manager,
        f"/security/staff/{c9.id}/profile",
        phone="090-1111-2222",
        email="c9@example.jp",
        emergency_contact="事務局 03-0000-0000",
        qualification_copy_on="2026-04-01",
        pledge_on="2026-04-02",
        training_days="2026-10-01, 2026-04-10",
    )
    assert saved.status_code == 303
    with engine.connect() as conn:  # encrypted at rest
        stored = conn.execute(
            text("SELECT phone FROM staffprofile WHERE staff_id = :i"), {"i": c9.id}
        ).scalar()
    assert stored and "090" not in stored
    page = manager.http.get("/security/staff").text
    assert "2026-04-02" in page and "2026-04-10、2026-10-01" in page

    no_reason = post(manager, f"/security/staff/{c9.id}/role", role="support", reason="")
    assert no_reason.status_code == 422 and row(engine, "c9").role == "counsellor"
    changed = post(manager, f"/security/staff/{c9.id}/role", role="support", reason="配置換え")
    assert changed.status_code == 303 and row(engine, "c9").role == "support"

    c9_login = Staff(server, "c9")  # enrols its second factor on the way in
    assert c9_login.http.get("/").status_code == 200
    unticked = post(manager, f"/security/staff/{c9.id}/deactivate", reason="退職")
    assert unticked.status_code == 422 and row(engine, "c9").active  # it asks first
    off = post(manager, f"/security/staff/{c9.id}/deactivate", reason="退職", agree="on")
    assert off.status_code == 303
    gone = post(manager, f"/security/staff/{c9.id}/role", role="counsellor", reason="復帰")
    assert gone.status_code == 409 and row(engine, "c9").role == "support"
    assert c9_login.http.get("/").status_code == 303  # the session ended at once
    assert (
        post(
            manager, f"/security/staff/{row(engine, 'manager').id}/deactivate", reason="x"
        ).status_code
        == 409
    )
    with Session(engine) as db:
        changes = [
            c.change for c in db.exec(select(StaffChange).where(StaffChange.staff_id == c9.id))
        ]
    assert changes == ["create:counsellor", "profile", "role:counsellor->support", "deactivate"]


def test_the_roster_pdf_needs_a_reason_and_is_a_recorded_take_out(site):
    server, engine = site
    manager = Staff(server, "manager")
    assert manager.take_out("/staff/roster.pdf", "").status_code == 422
    pdf = manager.take_out("/staff/roster.pdf", "区への提出")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(pdf.content)
    words = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    words = re.sub(r"\s", "", words)
    assert "実施体制図" in words and "相談員鈴木" in words and "精神保健福祉士" in words
    assert "役割の変更(相談員→" in words and "->" not in words  # roles by name, for the ward
    with Session(engine) as db:
        taken = db.exec(select(TakeoutRecord).where(TakeoutRecord.document == "roster.pdf")).one()
    assert taken.reason == "区への提出" and taken.count == 6  # the demo's staff, less the ward
