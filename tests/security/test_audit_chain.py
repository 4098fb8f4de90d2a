"""The audit trail is a hash chain: a changed, removed or inserted row is named by
`python -m console audit verify`; the manager views and exports it."""

import re

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from console.security import audit
from console.security.models import AuditEntry
from console.store.db import make_engine
from console.store.schema import migrate
from tests.conftest import KEY_FILE, Staff, make_server, run_console, seed


def verify(url: str):
    return run_console("audit", "verify", DATABASE_URL=url, DATA_KEY_FILE=str(KEY_FILE))


def test_tampering_with_one_row_is_named_by_audit_verify(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    migrate(engine)
    for n in range(5):
        audit.record_now(engine, action="consultation.read", staff_id=None, target=f"record:{n}")
    intact = verify(url)
    assert intact.returncode == 0 and "5 件、改ざんなし" in intact.stdout
    with Session(engine) as db:
        third = db.exec(select(AuditEntry).order_by(AuditEntry.id).offset(2)).first().id
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE auditentry SET target = 'record:999' WHERE id = :i"), {"i": third}
        )
    changed = verify(url)
    assert changed.returncode == 1
    assert (
        f"監査記録 #{third} で連鎖が切れています" in changed.stderr and "改ざん" in changed.stderr
    )
    with engine.begin() as conn:  # put it back, then remove the row instead
        conn.execute(text("UPDATE auditentry SET target = 'record:2' WHERE id = :i"), {"i": third})
    assert verify(url).returncode == 0
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM auditentry WHERE id = :i"), {"i": third})
    removed = verify(url)
    assert removed.returncode == 1 and f"#{third + 1} で連鎖が切れています" in removed.stderr
    engine.dispose()


def test_entries_added_in_one_transaction_chain_in_order(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'batch.db'}")
    migrate(engine)
    from console.store.db import transaction

    with transaction(engine) as db:
        for n in range(3):
            audit.record(db, action="batch", staff_id=None, target=str(n))
        db.flush()
        audit.record(db, action="batch", staff_id=None, target="3")
    checked, broken = audit.verify(engine)
    assert (checked, broken) == (4, None)
    engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    url = f"sqlite:///{tmp / 'audit.db'}"
    engine, _ = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, engine
    srv.stop()
    engine.dispose()


def test_the_manager_sees_logins_failures_and_take_outs_and_exports_them(site):
    server, engine = site
    ward = Staff(server, "ward")
    taken = ward.take_out("/intake/checks/export.csv", "区の住民確認のため")
    assert taken.status_code == 200
    no_reason = ward.take_out("/intake/checks/export.csv", " ")
    assert no_reason.status_code == 422 and "持ち出しの理由を入力してください" in no_reason.text
    manager = Staff(server, "manager")
    trail = manager.http.get("/security/audit", params={"kind": "login.factor"})
    assert trail.status_code == 200 and "改ざんは見つかりませんでした" in trail.text
    assert trail.text.count("<td>ログイン(login.factor)</td>") >= 2  # what it is, and its code
    assert "<td>持出し(takeout)</td>" not in trail.text  # filtered by kind
    takeouts = manager.http.get("/security/takeouts").text
    assert "住民確認の一覧(CSV)" in takeouts and "区の住民確認のため" in takeouts
    exported = manager.http.get("/security/audit.csv").content.decode("utf-8-sig")
    assert "takeout" in exported and "login.password" in exported
    assert re.search(r",[0-9a-f]{64}\r\n", exported)  # each row with its hash
    for role in ("ward", "support", "counsellor1"):
        assert Staff(server, role).http.get("/security/audit").status_code == 403
        assert Staff(server, role).http.get("/security/takeouts").status_code == 403
    checked, broken = audit.verify(engine)
    assert broken is None and checked > 5


def test_the_security_checklist_is_made_from_the_running_configuration(site):
    server, _ = site
    manager = Staff(server, "manager")
    page = manager.http.get("/security/checklist")
    assert page.status_code == 200
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>\s*<td>.*?(適合|要確認)', page.text, re.S))
    assert rows["全職員の二要素認証"] == "適合"  # the demo's logins are all enrolled
    assert rows["通信の暗号化(COOKIE_SECURE・HSTS)"] == "要確認"  # plain http here
    assert rows["監査記録の改ざん検知"] == "適合"
    assert "保存期間 参加者・申込者 1825日、相談記録 1825日" in page.text  # kinds in Japanese
    pdf = manager.http.get("/security/checklist.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert Staff(server, "ward").http.get("/security/checklist").status_code == 403


def test_a_filter_that_is_not_understood_is_refused_and_exports_nothing(site):
    server, engine = site
    manager = Staff(server, "manager")

    def exports() -> int:
        with Session(engine) as db:
            rows = db.exec(select(AuditEntry).where(AuditEntry.action == "audit.export")).all()
        return len(rows)

    before = exports()
    for query, message in (
        ("since=abc", "開始日は「2026-04-01」の形で"),
        ("until=2026-13-40", "終了日は「2026-04-01」の形で"),
        ("since=2026-12-01&until=2026-01-01", "開始日が終了日より後になっています"),
        ("staff=x", "職員の指定が正しくありません"),
    ):
        for path in ("/security/audit", "/security/audit.csv"):
            got = manager.http.get(f"{path}?{query}")
            assert got.status_code == 400 and message in got.text, (path, query)
    assert exports() == before
    assert manager.http.get("/security/audit?since=2026-01-01&until=2026-12-31").status_code == 200
