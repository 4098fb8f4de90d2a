"""Care after the session: follow-ups from a consultation, by hand, their outcomes; nothing
left unshared with the helpline; a block decision after every forced exit."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text, update
from sqlmodel import Session, func, select

from console.care.models import BlockDecision, FollowUp
from console.consultations.models import RecordSharing
from console.security.models import AuditEntry
from console.security.models import Staff as StaffRow
from console.settings import TZ
from tests.conftest import Staff, new_meetup, new_participant
from tests.consultations.test_consultations import consult, record_command, save


def post(staff: Staff, path: str, **form):
    return staff.http.post(
        path, data=form, headers={"X-CSRF-Token": staff.csrf, "HX-Request": "true"}
    )


def jst_today():
    return datetime.now(TZ).date()


def home_count(staff: Staff, element_id: str) -> int:
    page = staff.http.get("/").text
    item = re.search(rf'id="{element_id}">(.*?)</li>', page, re.S).group(1)
    return int(re.search(r"<strong>(\d+)件</strong>", item).group(1))


def test_consultation_follow_up_is_the_counsellors_goes_overdue_and_is_done_with_an_outcome(
    world,
):
    srv, engine = world
    _meetup_id, counsellor, record = consult(engine, srv)
    assert save(counsellor, record.id, follow_up="on").status_code == 200
    with Session(engine) as db:
        follow_up = db.exec(select(FollowUp).where(FollowUp.source == f"record:{record.id}")).one()
        counsellor_id = db.exec(select(StaffRow.id).where(StaffRow.login_id == "counsellor1")).one()
    assert follow_up.owner_id == counsellor_id and follow_up.why == "consultation"
    assert follow_up.due == jst_today() + timedelta(days=7)

    mine = counsellor.http.get("/care")
    assert mine.status_code == 200 and f"C-{record.id}" in mine.text
    # An amendment keeps the tick: still one follow-up for the record.
    assert save(counsellor, record.id, follow_up="on", amend_reason="誤字の修正").status_code == 200
    with Session(engine) as db:
        assert (
            db.exec(
                select(func.count())
                .select_from(FollowUp)
                .where(FollowUp.participant_id == record.participant_id)
            ).one()
            == 1
        )

    # The manager's list, asked as of the due date and as of the day after (the clock).
    manager = Staff(srv, "manager")
    on_due = manager.http.get(f"/care/overdue?on={follow_up.due.isoformat()}")
    assert on_due.status_code == 200 and f'id="follow-up-{follow_up.id}"' not in on_due.text
    after = manager.http.get(f"/care/overdue?on={(follow_up.due + timedelta(days=1)).isoformat()}")
    assert f'id="follow-up-{follow_up.id}"' in after.text and "期限超過" in after.text
    assert counsellor.http.get("/care/overdue").status_code == 403  # the manager's page

    path = f"/care/follow-ups/{follow_up.id}/done"
    refused = post(counsellor, path, outcome="not_reached", note="")
    assert refused.status_code == 422 and "結果の記録を入力してください" in refused.text
    assert post(counsellor, path, outcome="nonsense").status_code == 422
    # Another counsellor cannot close it: it is counsellor1's (or the manager's to hand over).
    other = post(Staff(srv, "counsellor2"), path, outcome="reached", note="")
    assert other.status_code == 403 and "担当者または管理者" in other.text
    with Session(engine) as db:
        assert db.get(FollowUp, follow_up.id).done_at is None
    assert post(counsellor, path, outcome="reached", note="電話で様子を確認した").status_code == 200
    with Session(engine) as db:
        done = db.get(FollowUp, follow_up.id)
        assert done.outcome == "reached" and done.done_by == counsellor_id
        assert db.exec(
            select(AuditEntry).where(
                AuditEntry.action == "care.follow_up.done.reached",
                AuditEntry.target == f"follow_up:{follow_up.id}",
            )
        ).one()
        raw = db.execute(
            text("SELECT task, note FROM followup WHERE id = :i"), {"i": follow_up.id}
        ).one()
    assert "電話で様子" not in raw.note and "フォローアップ" not in raw.task  # encrypted at rest
    again = post(counsellor, path, outcome="reached")
    assert again.status_code == 422 and "すでに完了" in again.text
    after = manager.http.get(f"/care/overdue?on={(follow_up.due + timedelta(days=1)).isoformat()}")
    assert f'id="follow-up-{follow_up.id}"' not in after.text


def test_a_follow_up_by_hand_refuses_bad_input_and_storing_nothing(world):
    srv, engine = world
    support = Staff(srv, "support")
    person = new_participant(engine, "手動")
    with Session(engine) as db:
        ward_id = db.exec(select(StaffRow.id).where(StaffRow.login_id == "ward")).one()
        counsellor_id = db.exec(select(StaffRow.id).where(StaffRow.login_id == "counsellor2")).one()
    good = {
        "participant_id": str(person.id),
        "why": "by_hand",
        "task": "次回の参加について電話する",
        "owner_id": str(counsellor_id),
        "due": (jst_today() + timedelta(days=3)).isoformat(),
    }
    cases = [
        ({"due": (jst_today() - timedelta(days=1)).isoformat()}, "過去の日付"),
        ({"due": "2026-13-40"}, "期限を正しく"),
        ({"owner_id": str(ward_id)}, "担当者には"),
        ({"owner_id": "999999"}, "担当者には"),
        ({"task": ""}, "対応内容を入力"),
        ({"why": "consultation"}, "手動で登録できる理由"),
        ({"participant_id": "999999"}, "参加者が見つかりません"),
    ]
    for change, message in cases:
        refused = post(support, "/care/follow-ups", **{**good, **change})
        assert refused.status_code == 422 and message in refused.text, change
    with Session(engine) as db:
        assert db.exec(select(FollowUp).where(FollowUp.participant_id == person.id)).all() == []
    assert post(support, "/care/follow-ups", **good).status_code == 200
    with Session(engine) as db:
        made = db.exec(select(FollowUp).where(FollowUp.participant_id == person.id)).one()
        manager_id = db.exec(select(StaffRow.id).where(StaffRow.login_id == "manager")).one()
    hand_over = f"/care/follow-ups/{made.id}/hand-over"
    assert post(support, hand_over, owner_id=str(manager_id), due=good["due"]).status_code == 403
    manager = Staff(srv, "manager")
    past = post(manager, hand_over, owner_id=str(manager_id), due="2020-01-01")
    assert past.status_code == 422 and "過去の日付" in past.text
    assert post(manager, hand_over, owner_id=str(ward_id), due=good["due"]).status_code == 422
    with Session(engine) as db:
        assert db.get(FollowUp, made.id).owner_id == counsellor_id
    assert post(manager, hand_over, owner_id=str(counsellor_id), due=good["due"]).status_code == 200
    assert person.display_name in Staff(srv, "counsellor2").http.get("/care").text
    ward = Staff(srv, "ward")
    assert ward.http.get("/care").status_code == 403  # counts only, on the home page
    assert person.display_name not in ward.http.get("/").text
    assert "期限超過のフォローアップ" in ward.http.get("/").text


def test_a_record_left_unshared_for_three_days_is_counted_until_shared_or_waived(world):
    srv, engine = world
    manager = Staff(srv, "manager")
    _meetup_id, counsellor, record = consult(engine, srv)
    assert save(counsellor, record.id).status_code == 200
    _meetup_id, counsellor, other = consult(engine, srv)
    assert save(counsellor, other.id).status_code == 200
    with Session(engine) as db:
        saved = db.get(RecordSharing, record.id)
        assert saved.consent_required is True and saved.completed_at is not None
    before = home_count(manager, "care-unshared")
    listing = manager.http.get("/consultations").text
    assert listing.count("未共有") >= 2

    # Three days pass: the completion times move back (the server's clock cannot).
    with Session(engine) as db:
        db.execute(
            update(RecordSharing)
            .where(RecordSharing.record_id.in_([record.id, other.id]))
            .values(completed_at=datetime.now(UTC) - timedelta(days=3, minutes=1))
        )
        db.commit()
    assert home_count(manager, "care-unshared") == before + 2

    future = record_command(
        counsellor,
        record.id,
        "handoff_phone",
        spoke_to="窓口 相談員A",
        called_at=(datetime.now(TZ) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        shared="相談の概要を伝えた",
    )
    assert future.status_code == 422 and "未来" in future.text  # a call not yet made
    assert home_count(manager, "care-unshared") == before + 2
    shared = record_command(
        counsellor,
        record.id,
        "handoff_phone",
        spoke_to="窓口 相談員A",
        called_at=datetime.now(TZ).strftime("%Y-%m-%dT%H:%M"),
        shared="相談の概要を伝えた",
    )
    assert shared.status_code == 200, shared.text
    assert home_count(manager, "care-unshared") == before + 1
    page = manager.http.get(f"/consultations/{record.id}").text
    assert "共有済" in page and "電話" in page

    assert record_command(counsellor, other.id, "share_waive", reason="").status_code == 422
    assert home_count(manager, "care-unshared") == before + 1
    waived = record_command(counsellor, other.id, "share_waive", reason="本人が既に窓口と面談中")
    assert waived.status_code == 200, waived.text
    assert home_count(manager, "care-unshared") == before
    assert "共有不要" in manager.http.get("/consultations").text
    twice = record_command(counsellor, record.id, "share_waive", reason="念のため")
    assert twice.status_code == 422 and "共有済み" in twice.text


def forced_exit(srv, engine) -> tuple[int, int]:
    manager = Staff(srv, "manager")
    person = new_participant(engine, "退室")
    meetup_id = new_meetup(engine)
    manager.command(meetup_id, "open_doors")
    entered = manager.command(meetup_id, "enter", participant_code=person.code, space="exchange")
    assert entered.status_code == 200, entered.text
    pid = str(person.id)
    assert (
        manager.command(
            meetup_id, "warn", participant_id=pid, rule="abuse", wording="言葉づかいに注意"
        ).status_code
        == 200
    )
    out = manager.command(meetup_id, "force_exit", participant_id=pid, reason="暴言が続いた")
    assert out.status_code == 200, out.text
    return meetup_id, person.id


def test_a_forced_exit_is_pending_until_the_manager_decides(world):
    srv, engine = world
    manager = Staff(srv, "manager")
    before = home_count(manager, "care-pending-blocks")
    meetup_id, pid = forced_exit(srv, engine)
    with Session(engine) as db:
        decision = db.exec(select(BlockDecision).where(BlockDecision.participant_id == pid)).one()
        assert (
            db.exec(select(FollowUp).where(FollowUp.participant_id == pid)).one().why
            == "forced_exit"
        )
    assert decision.decided_at is None
    assert home_count(manager, "care-pending-blocks") == before + 1
    board = manager.http.get(f"/meetups/{meetup_id}").text  # the moderation panel
    assert f'id="block-pending-{pid}"' in board and "ブロック判断待ち" in board
    assert f'id="block-decision-{decision.id}"' in manager.http.get("/care/overdue").text

    path = f"/care/block-decisions/{decision.id}/decline"
    assert post(Staff(srv, "facilitator"), path, reason="反省している").status_code == 403
    empty = post(manager, path, reason="")
    assert empty.status_code == 422 and "ブロックしない理由を入力" in empty.text
    assert post(manager, path, reason="本人が謝罪し、次回は見守りで参加").status_code == 200
    assert home_count(manager, "care-pending-blocks") == before
    assert f'id="block-decision-{decision.id}"' not in manager.http.get("/care/overdue").text
    assert post(manager, path, reason="もう一度").status_code == 422

    # Blocking (moderation's command) decides the pending one too.
    meetup_id, pid = forced_exit(srv, engine)
    assert home_count(manager, "care-pending-blocks") == before + 1
    blocked = manager.command(meetup_id, "block", participant_id=str(pid), reason="再度の暴言")
    assert blocked.status_code == 200, blocked.text
    with Session(engine) as db:
        decision = db.exec(select(BlockDecision).where(BlockDecision.participant_id == pid)).one()
    assert decision.blocked is True and decision.decided_at is not None
    assert home_count(manager, "care-pending-blocks") == before
    assert f'id="block-pending-{pid}"' not in manager.http.get(f"/meetups/{meetup_id}").text
