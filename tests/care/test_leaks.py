"""個人情報漏えいの疑い (spec 9(2)): recorded outside a session, reported to the ward, followed
by updates until closed; every report an email in the outbox."""

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from console.care.models import LeakCase, LeakUpdate
from console.settings import TZ
from console.store.models import OutboxMessage
from tests.care.test_follow_ups import post
from tests.conftest import Staff


def test_a_suspected_leak_is_reported_to_the_ward_until_closed(world):
    srv, engine = world
    support, manager, ward = Staff(srv, "support"), Staff(srv, "manager"), Staff(srv, "ward")
    an_hour_ago = (datetime.now(TZ) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    good = {
        "found_at": an_hour_ago,
        "what": "申込者一覧を印刷した紙を会議室に置き忘れた(固有語X5V)",
        "affected": "申込者12名の氏名と連絡先",
        "affected_count": "１２",  # full width, as an input method types it
        "report": "会議室で紙を回収済み。閲覧の有無を確認中。",
    }
    tomorrow = (datetime.now(TZ) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    with Session(engine) as db:  # other tests of the package may have recorded one
        earlier = set(db.exec(select(LeakCase.id)).all())
    for change, message in (
        ({"found_at": tomorrow}, "未来の日時"),
        ({"found_at": "yesterday"}, "発覚した日時を正しく"),
        ({"what": ""}, "経緯を入力"),
        ({"affected_count": "十二"}, "0以上の整数"),
        ({"report": ""}, "区への第一報を入力"),
    ):
        refused = post(support, "/care/leaks", **{**good, **change})
        assert refused.status_code == 422 and message in refused.text, change
    with Session(engine) as db:
        assert set(db.exec(select(LeakCase.id)).all()) == earlier
    assert post(ward, "/care/leaks", **good).status_code == 403
    assert post(support, "/care/leaks", **good).status_code == 200  # no session needed
    with Session(engine) as db:
        case = db.exec(select(LeakCase).where(col(LeakCase.id).not_in(earlier))).one()
        raw = db.execute(text("SELECT what FROM leakcase WHERE id = :i"), {"i": case.id}).one()
    assert case.affected_count == 12 and case.closed_at is None
    assert "X5V" not in raw.what  # encrypted at rest

    shown = ward.http.get("/care/leaks")
    assert (
        shown.status_code == 200 and f'id="leak-{case.id}"' in shown.text and "対応中" in shown.text
    )
    path = f"/care/leaks/{case.id}/reports"
    assert post(support, path, report="続報").status_code == 403  # the manager follows it up
    assert post(manager, path, report="").status_code == 422
    assert (
        post(
            manager, path, report="閲覧した者はいないことを確認した。", affected_count="0"
        ).status_code
        == 200
    )
    assert (
        post(manager, path, report="再発防止策を実施し終結とする。", close="on").status_code == 200
    )
    again = post(manager, path, report="追加")
    assert again.status_code == 422 and "終結" in again.text
    with Session(engine) as db:
        case = db.get(LeakCase, case.id)
        kinds = [
            u.kind
            for u in db.exec(
                select(LeakUpdate).where(LeakUpdate.case_id == case.id).order_by(LeakUpdate.id)
            )
        ]
        mails = db.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.key).startswith(f"leak:{case.id}:"))
            .order_by(OutboxMessage.id)
        ).all()
    assert case.closed_at is not None and case.affected_count == 0
    assert kinds == ["first", "update", "closing"]
    assert [m.subject.rsplit(" ", 1)[1] for m in mails] == ["第一報", "続報", "終結の報告"]
    assert "会議室で紙を回収済み" in mails[0].body and "0名" in mails[2].body
    assert "終結" in ward.http.get("/care/leaks").text
