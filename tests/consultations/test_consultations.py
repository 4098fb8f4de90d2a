"""Consultations: queue and rooms, encrypted records, audited reads, helpline handoffs."""

import re
import subprocess
import sys
import time

import pytest
from sqlmodel import Session, func, select

from console.consultations.models import ConsultationRecord, Handoff
from console.security.models import AuditEntry
from console.store import crypto
from console.store.models import OutboxMessage
from tests.conftest import (
    ROOT,
    Staff,
    new_meetup,
    new_participant,
    seed,
    sent,
    start_with_mail,
    wait_for,
)
from tests.smtp import start_smtp

HELPLINE = "hikikomori-helpline@example.org"
SECRET = "父との関係で夜眠れない日が続いている(固有の確認文字列Q7ZK)"


@pytest.fixture
def world(tmp_path):
    url = f"sqlite:///{tmp_path / 'consult.db'}"
    engine, _ = seed(url)
    srv, smtp_port = start_with_mail(url, tmp_path, HELPLINE_ADDRESS=HELPLINE)
    yield srv, engine, smtp_port, tmp_path
    srv.stop()


def consult(engine, srv) -> tuple[int, Staff, ConsultationRecord]:
    """A participant queues, counsellor1 takes them into room 1 and ends the consultation."""
    counsellor = Staff(srv, "counsellor1")
    person = new_participant(engine, "相談者")
    meetup_id = new_meetup(engine)
    manager = Staff(srv, "manager")
    manager.command(meetup_id, "open_doors")
    counsellor.command(meetup_id, "duty_on", post="consultation")
    assert (
        manager.command(
            meetup_id, "enter", participant_code=person.code, space="exchange"
        ).status_code
        == 200
    )
    request = counsellor.command(meetup_id, "consult_request", participant_id=str(person.id))
    assert request.status_code == 200
    # Display names need not be unique: the queue shows the ID beside the name.
    board = counsellor.http.get(f"/meetups/{meetup_id}").text
    waiting = re.search(r'<li id="wait-\d+">.*?</li>', board, re.S)[0]
    assert person.display_name in waiting and person.code in waiting
    taken = counsellor.command(
        meetup_id, "consult_take", request_seq=request.headers["x-event-seq"], room="1"
    )
    assert taken.status_code == 200, taken.text
    busy = counsellor.command(
        meetup_id, "consult_take", request_seq=request.headers["x-event-seq"], room="1"
    )
    assert busy.status_code == 422
    assert (
        counsellor.command(meetup_id, "consult_end", room="1", to_space="rest").status_code == 200
    )
    with Session(engine) as db:
        record = db.exec(
            select(ConsultationRecord).where(ConsultationRecord.meetup_id == meetup_id)
        ).one()
    return meetup_id, counsellor, record


def save(staff: Staff, record_id: int, **form):
    data = {
        "content": SECRET,
        "answer": "睡眠の相談窓口を紹介した",
        "topic": "家族関係",
        "age_bracket": "30s",
        "helpline_consent": "on",
        "complete": "1",
        **form,
    }
    return staff.http.post(
        f"/consultations/{record_id}/commands/record_save",
        data={"command_id": f"save-{time.time_ns()}", **data},
        headers={"X-CSRF-Token": staff.csrf, "HX-Request": "true"},
    )


def record_command(staff: Staff, record_id: int, name: str, **form):
    return staff.http.post(
        f"/consultations/{record_id}/commands/{name}",
        data={"command_id": f"{name}-{time.time_ns()}", **form},
        headers={"X-CSRF-Token": staff.csrf, "HX-Request": "true"},
    )


def test_handoff_needs_a_second_person_and_arrives_once_with_the_minimal_summary(world):
    srv, engine, smtp_port, _ = world
    controller, inbox = start_smtp(smtp_port)
    try:
        _meetup_id, counsellor, record = consult(engine, srv)
        assert save(counsellor, record.id).status_code == 200
        prepared = record_command(counsellor, record.id, "handoff_prepare", to_addr=HELPLINE)
        assert prepared.status_code == 200, prepared.text
        # A second click (new command id) while the first waits is refused: one email, not two.
        twice = record_command(counsellor, record.id, "handoff_prepare", to_addr=HELPLINE.upper())
        assert twice.status_code == 422 and "確認を待っています" in twice.text
        with Session(engine) as db:
            handoff = db.exec(select(Handoff).where(Handoff.record_id == record.id)).one()
        same = record_command(counsellor, record.id, "handoff_confirm", handoff_id=str(handoff.id))
        assert same.status_code == 422 and "別の職員" in same.text
        with Session(engine) as db:  # nothing unconfirmed is even queued, so none goes out
            assert db.exec(select(OutboxMessage)).all() == []
        assert inbox.messages == []
        other = Staff(srv, "counsellor2")
        assert (
            record_command(
                other, record.id, "handoff_confirm", handoff_id=str(handoff.id)
            ).status_code
            == 200
        )
        sent(engine, f"handoff:{handoff.id}")
        [message] = inbox.messages
        assert message["To"] == HELPLINE and f"H-{handoff.id}" in message["Subject"]
        body = message.get_content()
        assert "家族関係" in body and "30代" in body
        assert SECRET not in body  # content is opt-in, and was not ticked
        with Session(engine) as db:
            person_name = db.get(ConsultationRecord, record.id).participant_id
        assert "相談者" not in message["Subject"] and str(person_name) not in message["Subject"]
        page = other.http.get(f"/consultations/{record.id}").text
        assert "送信済み" in page
    finally:
        controller.stop()


def test_with_smtp_down_the_handoff_waits_and_is_delivered_exactly_once(world):
    srv, engine, smtp_port, _ = world
    _meetup_id, counsellor, record = consult(engine, srv)
    save(counsellor, record.id)
    record_command(counsellor, record.id, "handoff_prepare", to_addr=HELPLINE, include_content="on")
    with Session(engine) as db:
        handoff = db.exec(select(Handoff).where(Handoff.record_id == record.id)).one()
    record_command(Staff(srv, "manager"), record.id, "handoff_confirm", handoff_id=str(handoff.id))

    def failed_attempts() -> int:
        with Session(engine) as db:
            mail = db.exec(
                select(OutboxMessage).where(OutboxMessage.key == f"handoff:{handoff.id}")
            ).one()
            return mail.attempts if mail.last_error and mail.sent_at is None else 0

    assert wait_for(lambda: failed_attempts() >= 2)
    assert "送信待ち" in counsellor.http.get(f"/consultations/{record.id}").text
    controller, inbox = start_smtp(smtp_port)
    try:
        sent(engine, f"handoff:{handoff.id}")
        assert len(inbox.messages) == 1
        assert SECRET in inbox.messages[0].get_content()  # opted in this time
    finally:
        controller.stop()


def test_records_are_encrypted_at_rest_and_survive_key_rotation(world, tmp_path):
    srv, engine, _, data_dir = world
    _meetup_id, counsellor, record = consult(engine, srv)
    assert save(counsellor, record.id).status_code == 200
    srv.stop()
    files = [p for p in data_dir.iterdir() if p.name.startswith("consult.db")]
    assert files and all(SECRET.encode() not in p.read_bytes() for p in files)
    assert all(b"Q7ZK" not in p.read_bytes() for p in files)

    # Rotate with a key file of this test's own, then read with the new key alone.
    key_file = tmp_path / "rotating.key"
    crypto.write_key_file(key_file, crypto.keyring())
    old_ids = set(crypto.keyring().keys)
    env = {**srv.env, "DATA_KEY_FILE": str(key_file)}
    done = subprocess.run(
        [sys.executable, "-m", "console", "rotate-key"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    rotated = crypto.Keyring.from_json(key_file.read_text())
    assert not old_ids & set(rotated.keys) and len(rotated.keys) == 1
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    previous = crypto.keyring()
    crypto.use(rotated)
    try:
        with Session(engine) as db:
            assert db.get(ConsultationRecord, record.id).content == SECRET
            assert all(m.body for m in db.exec(select(OutboxMessage)))
    finally:
        crypto.use(previous)
    with pytest.raises(crypto.KeyError_), Session(engine) as db:
        db.get(ConsultationRecord, record.id).content  # noqa: B018  (old key is gone)


def test_who_may_read_records_and_every_read_is_audited(world):
    srv, engine, _, _ = world
    _meetup_id, counsellor, record = consult(engine, srv)
    save(counsellor, record.id)

    def reads() -> int:
        with Session(engine) as db:
            return db.exec(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "consultation.read",
                    AuditEntry.target == f"record:{record.id}",
                )
            ).one()

    before = reads()
    page = counsellor.http.get(f"/consultations/{record.id}")
    assert page.status_code == 200 and SECRET in page.text
    assert reads() == before + 1
    for login in ("ward", "facilitator", "support"):
        refused = Staff(srv, login).http.get(f"/consultations/{record.id}")
        assert refused.status_code == 403 and SECRET not in refused.text
    assert reads() == before + 1
    assert Staff(srv, "manager").http.get(f"/consultations/{record.id}").status_code == 200
    assert reads() == before + 2


def test_who_is_in_a_room_is_hidden_from_those_who_do_not_need_it(world):
    srv, engine, _, _ = world
    counsellor, facilitator, ward = (Staff(srv, x) for x in ("counsellor1", "facilitator", "ward"))
    person = new_participant(engine, "個室")
    meetup_id = new_meetup(engine)
    Staff(srv, "manager").command(meetup_id, "open_doors")
    counsellor.command(meetup_id, "duty_on", post="consultation")
    counsellor.command(meetup_id, "enter", participant_code=person.code, space="exchange")
    request = counsellor.command(meetup_id, "consult_request", participant_id=str(person.id))
    counsellor.command(
        meetup_id, "consult_take", request_seq=request.headers["x-event-seq"], room="2"
    )
    assert person.display_name in counsellor.http.get(f"/meetups/{meetup_id}").text
    page = facilitator.http.get(f"/meetups/{meetup_id}").text
    rooms = re.search(r'<section id="consultation-panel".*?</section>', page, re.S).group(0)
    space = re.search(r'<ul id="people-consultation".*?</ul>', page, re.S).group(0)
    assert "使用中" in rooms and person.display_name not in rooms
    assert "相談中の参加者" in space and person.display_name not in space
    ward_page = ward.http.get(f"/meetups/{meetup_id}").text
    assert person.display_name not in ward_page and "1/2室 使用中" in ward_page


BAD = [
    ({"content": ""}, "相談内容を入力してください。"),
    ({"topic": "占い"}, "主な相談内容の選択肢が正しくありません。"),
    ({"content": "あ" * 50_000}, "相談内容は4000文字以内で入力してください"),
    ({"answer": ""}, "相談に対する回答を入力してください。"),
]


@pytest.mark.parametrize(("form", "message"), BAD)
def test_bad_record_input_is_refused_and_stores_nothing(world, form, message):
    srv, engine, _, _ = world
    _meetup_id, counsellor, record = consult(engine, srv)
    answer = save(counsellor, record.id, **form)
    assert answer.status_code == 422 and message in answer.text
    with Session(engine) as db:
        stored = db.get(ConsultationRecord, record.id)
    assert stored.content is None and not stored.complete


def test_invalid_helpline_address_or_no_consent_prepares_nothing(world):
    srv, engine, _, _ = world
    _meetup_id, counsellor, record = consult(engine, srv)
    save(counsellor, record.id, helpline_consent="")
    no_consent = record_command(counsellor, record.id, "handoff_prepare", to_addr=HELPLINE)
    assert no_consent.status_code == 422 and "同意していない" in no_consent.text
    assert save(counsellor, record.id, amend_reason="同意を確認し直した").status_code == 200
    bad = record_command(counsellor, record.id, "handoff_prepare", to_addr="helpline at example")
    assert bad.status_code == 422 and "宛先メールアドレスの形式が正しくありません。" in bad.text
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Handoff)).one() == 0


def test_consent_withdrawn_after_preparing_stops_the_send(world):
    srv, engine, _, _ = world
    _meetup_id, counsellor, record = consult(engine, srv)
    save(counsellor, record.id)
    record_command(counsellor, record.id, "handoff_prepare", to_addr=HELPLINE)
    withdrawn = save(
        counsellor, record.id, helpline_consent="", amend_reason="参加者が同意を取り消した"
    )  # the participant changed their mind
    assert withdrawn.status_code == 200
    with Session(engine) as db:
        handoff = db.exec(select(Handoff).where(Handoff.record_id == record.id)).one()
    refused = record_command(
        Staff(srv, "manager"), record.id, "handoff_confirm", handoff_id=str(handoff.id)
    )
    assert refused.status_code == 422 and "同意していない" in refused.text
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_the_consultation_space_is_reached_only_through_a_room(world):
    srv, engine, _, _ = world
    support = Staff(srv, "support")
    person = new_participant(engine)
    meetup_id = new_meetup(engine)
    Staff(srv, "manager").command(meetup_id, "open_doors")
    walk_in = support.command(
        meetup_id, "enter", participant_code=person.code, space="consultation"
    )
    assert walk_in.status_code == 422 and "相談希望を記録" in walk_in.text
    support.command(meetup_id, "enter", participant_code=person.code, space="exchange")
    moved = support.command(meetup_id, "move", participant_id=str(person.id), space="consultation")
    assert moved.status_code == 422


def test_leaving_mid_consultation_ends_it_and_keeps_the_draft(world):
    srv, engine, _, _ = world
    counsellor = Staff(srv, "counsellor1")
    person = new_participant(engine)
    meetup_id = new_meetup(engine)
    Staff(srv, "manager").command(meetup_id, "open_doors")
    counsellor.command(meetup_id, "duty_on", post="consultation")
    counsellor.command(meetup_id, "enter", participant_code=person.code, space="exchange")
    request = counsellor.command(meetup_id, "consult_request", participant_id=str(person.id))
    counsellor.command(
        meetup_id, "consult_take", request_seq=request.headers["x-event-seq"], room="1"
    )
    moving = counsellor.command(meetup_id, "move", participant_id=str(person.id), space="rest")
    assert moving.status_code == 422 and "相談を終了" in moving.text
    assert counsellor.command(meetup_id, "leave", participant_id=str(person.id)).status_code == 200
    with Session(engine) as db:
        record = db.exec(
            select(ConsultationRecord).where(ConsultationRecord.meetup_id == meetup_id)
        ).one()
    assert record.ended_at is not None and not record.complete
    page = counsellor.http.get(f"/meetups/{meetup_id}").text
    assert "0/2室 使用中" in page


def test_staff_notes_and_moderation_wordings_are_encrypted_too(world):
    srv, engine, _, data_dir = world
    manager = Staff(srv, "manager")
    meetup_id = new_meetup(engine)
    person = new_participant(engine)
    manager.command(meetup_id, "open_doors")
    manager.command(meetup_id, "enter", participant_code=person.code, space="exchange")
    manager.command(meetup_id, "note", text="メモの確認文字列XJ4P")
    manager.command(
        meetup_id,
        "warn",
        participant_id=str(person.id),
        rule="abuse",
        wording="通告の確認文字列KQ8W",
    )
    srv.stop()
    blobs = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("consult.db"))
    assert b"XJ4P" not in blobs and b"KQ8W" not in blobs


def test_a_key_file_others_can_read_is_refused(tmp_path, monkeypatch):
    from console import settings

    key_file = tmp_path / "loose.key"
    crypto.write_key_file(key_file, crypto.keyring())
    key_file.chmod(0o644)
    monkeypatch.setattr(settings, "DATA_KEY_FILE", str(key_file))
    with pytest.raises(crypto.KeyError_, match="chmod 600"):
        crypto.load()


def test_a_complete_record_is_read_only_until_amended_with_a_reason(world):
    from console.consultations.events import ConsultationRecordSaved
    from console.live import eventlog

    srv, engine, _, _ = world
    meetup_id, counsellor, record = consult(engine, srv)
    draft = counsellor.http.get(f"/consultations/{record.id}").text
    assert "下書き保存" in draft and 'name="content"' in draft
    assert save(counsellor, record.id).status_code == 200  # completed
    page = counsellor.http.get(f"/consultations/{record.id}").text
    assert "下書き保存" not in page and "記録を完成" not in page
    assert SECRET in re.search(r'<dl class="record">.*?</dl>', page, re.S).group(0)
    amend = re.search(r'<details class="amend">.*?</details>', page, re.S).group(0)
    assert "<summary>修正する</summary>" in amend and 'name="amend_reason"' in amend
    outside = page.replace(amend, "")
    assert "<textarea" not in outside.split('id="handoff-h"')[0]  # nothing to type in, above

    no_reason = save(counsellor, record.id, answer="窓口を案内した(訂正)")
    assert no_reason.status_code == 422 and "修正の理由を入力してください" in no_reason.text
    back_to_draft = save(counsellor, record.id, complete="0", amend_reason="誤り")
    assert back_to_draft.status_code == 422 and "下書きに戻せません" in back_to_draft.text
    fixed = save(
        counsellor, record.id, answer="窓口を案内した(訂正)", amend_reason="回答の記入漏れ"
    )
    assert fixed.status_code == 200, fixed.text
    page = counsellor.http.get(f"/consultations/{record.id}").text
    assert "窓口を案内した(訂正)" in page
    history = re.search(r'<ul class="amendments".*?</ul>', page, re.S).group(0)
    assert "回答の記入漏れ" in history and "相談員 鈴木" in history
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日\(.\) \d\d:\d\d", history)
    with Session(engine) as db:
        saves = eventlog.recent(
            db, meetup_id, upto=10**6, limit=10, type_=ConsultationRecordSaved.type
        )
    assert [e.body.amend_reason for e in reversed(saves)] == ["", "回答の記入漏れ"]
    timeline = Staff(srv, "manager").http.get(f"/meetups/{meetup_id}").text
    assert f"相談記録 C-{record.id} を修正しました" in timeline

    # Two tabs: the one opened before the last save cannot silently undo it.
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    first = save(counsellor, record.id, answer="A の訂正", amend_reason="A", seen=seen)
    assert first.status_code == 200, first.text
    stale = save(counsellor, record.id, answer="B の訂正", amend_reason="B", seen=seen)
    assert stale.status_code == 409 and "別の画面で保存されています" in stale.text
    assert "A の訂正" in counsellor.http.get(f"/consultations/{record.id}").text
    # The correction form starts from the record's own 年代 (here none: 不明), not from the
    # participant's (40代), which would be saved unnoticed with an unrelated correction.
    from console.session.models import Participant
    from console.store.db import transaction

    with transaction(engine) as db:
        row = db.get(ConsultationRecord, record.id)
        row.age_bracket = None
        db.get(Participant, row.participant_id).age_bracket = "40s"
    page = counsellor.http.get(f"/consultations/{record.id}").text
    form = re.search(r'<select id="age".*?</select>', page, re.S).group(0)
    assert '<option value="unknown" selected>' in form and '"40s" selected' not in form
