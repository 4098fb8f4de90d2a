"""The monthly liaison pack (連絡会資料, spec 6(6)): exactly the people the meeting needs, by ID,
age bracket and district, nothing of consultation content; every export a take-out record."""

import io
from datetime import datetime, timedelta

import pypdfium2
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from console.care import liaison
from console.security.models import AuditEntry, TakeoutRecord
from console.settings import TZ
from tests.care.test_follow_ups import jst_today, post
from tests.conftest import Staff, make_server, new_participant, seed
from tests.consultations.test_consultations import SECRET, consult, save


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A server of its own: the pack lists every open follow-up and plan in the database."""
    tmp = tmp_path_factory.mktemp("liaison")
    url = f"sqlite:///{tmp / 'liaison.db'}"
    engine, _ = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, engine
    srv.stop()


def test_the_months_pack_holds_exactly_the_expected_people_and_no_consultation_content(own):
    srv, engine = own
    manager, support = Staff(srv, "manager"), Staff(srv, "support")
    # A: consulted (follow-up ticked) and marked in need of support.
    _m, counsellor, record_a = consult(engine, srv)
    assert save(counsellor, record_a.id, follow_up="on").status_code == 200
    # C: consulted, nothing further: not in the pack.
    _m, counsellor, record_c = consult(engine, srv)
    assert save(counsellor, record_c.id).status_code == 200
    b, d, e, f = (new_participant(engine, n) for n in ("B", "D", "E", "F"))
    for pid, summary in (
        (record_a.participant_id, "生活リズムの乱れが続く"),
        (b.id, "外出に不安"),
        (e.id, "一時的"),
    ):
        assert post(support, f"/care/participants/{pid}/need", summary=summary).status_code == 200
    assert (
        post(support, f"/care/participants/{b.id}/need", summary="外出に不安(更新)").status_code
        == 200
    )
    assert post(support, f"/care/participants/{e.id}/need/clear").status_code == 200
    assert (
        post(
            support, f"/care/participants/{d.id}/plan", wish="work", detail="就労体験(固有語K2P)"
        ).status_code
        == 200
    )
    assert (
        post(
            support,
            f"/care/participants/{d.id}/stages",
            kind="accompany",
            on=jst_today().isoformat(),
        ).status_code
        == 200
    )
    with Session(engine) as db:
        support_id = db.exec(
            select(AuditEntry.staff_id).where(AuditEntry.action == "care.need.mark")
        ).first()
    assert (
        post(
            support,
            "/care/follow-ups",
            participant_id=str(f.id),
            why="staff_note",
            task="家族から電話があった件(固有語M8T)",
            owner_id=str(support_id),
            due=(jst_today() + timedelta(days=2)).isoformat(),
        ).status_code
        == 200
    )

    with Session(engine) as db:
        codes = {
            name: code
            for name, code in (
                ("A", db.get(type(b), record_a.participant_id).code),
                ("C", db.get(type(b), record_c.participant_id).code),
            )
        }
    codes.update(B=b.code, D=d.code, E=e.code, F=f.code)
    month = jst_today().replace(day=1)
    with Session(engine) as db:
        pack = liaison.build(db, month, now=datetime.now(TZ))
        earlier = liaison.build(
            db, (month - timedelta(days=1)).replace(day=1), now=datetime.now(TZ)
        )
    assert pack.people == {codes[n] for n in "ABDF"}
    assert {line.person.code for line in pack.needs} == {codes["A"], codes["B"]}
    assert [line.text for line in pack.needs if line.person.code == codes["B"]] == [
        "外出に不安(更新)"
    ]
    assert {line.person.code for line in pack.plans} == {codes["D"]}
    assert {line.person.code for line in pack.follow_ups} == {codes["A"], codes["F"]}
    assert earlier.people == frozenset()  # nothing of this month in the month before

    assert Staff(srv, "ward").http.get("/care/liaison").status_code == 403
    shown = manager.http.get(f"/care/liaison?month={month:%Y-%m}")
    assert shown.status_code == 200 and "個人情報を含む" in shown.text
    no_reason = manager.http.post(
        "/care/liaison/pdf",
        data={"csrf_token": manager.csrf, "month": f"{month:%Y-%m}", "reason": ""},
    )
    assert no_reason.status_code == 422 and "出力の理由を入力" in no_reason.text
    with Session(engine) as db:
        assert db.exec(select(TakeoutRecord)).all() == []
    pdf = manager.http.post(
        "/care/liaison/pdf",
        data={
            "csrf_token": manager.csrf,
            "month": f"{month:%Y-%m}",
            "reason": "12月の連絡会で配布",
        },
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4
    document = pypdfium2.PdfDocument(pdf.content)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    for name in "ABDF":
        assert codes[name] in text
    for name in "CE":
        assert codes[name] not in text
    for secret in (SECRET[:10], "睡眠の相談窓口", "K2P", "M8T", "相談者", b.display_name):
        assert secret not in text
    assert "個人情報を含む" in text
    with Session(engine) as db:
        takeout = db.exec(select(TakeoutRecord)).one()
    assert takeout.document == f"liaison_pack:{month:%Y-%m}"
    assert (takeout.count, takeout.reason) == (4, "12月の連絡会で配布")
