"""The moderation ladder over a real server, with a real SMTP server for the ward's emails."""

import uuid

import pytest
from sqlmodel import Session, func, select

from console.live.models import EventRow
from console.moderation.models import Block, WardReport
from console.store.models import OutboxMessage
from tests.conftest import (
    Staff,
    new_meetup,
    new_participant,
    seed,
    sent,
    start_with_mail,
    wait_for,
)
from tests.live_client import LiveClient, page_seq
from tests.smtp import start_smtp

WARD = "hikikomori-ward@example.org"


@pytest.fixture
def world(tmp_path):
    """A server of its own whose ward reports go to an SMTP port chosen here."""
    url = f"sqlite:///{tmp_path / 'moderation.db'}"
    engine, _ = seed(url)
    srv, smtp_port = start_with_mail(url, tmp_path, WARD_REPORT_ADDRESS=WARD)
    yield srv, engine, smtp_port
    srv.stop()


def open_meetup_with(engine, manager: Staff, person) -> int:
    meetup_id = new_meetup(engine)
    manager.command(meetup_id, "open_doors")
    manager.command(meetup_id, "duty_on", post="overall")
    assert (
        manager.command(
            meetup_id, "enter", participant_code=person.code, space="exchange"
        ).status_code
        == 200
    )
    return meetup_id


def count(engine, model, **where) -> int:
    with Session(engine) as db:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.exec(query).one()


def test_forced_exit_requires_prior_warning(world):
    srv, engine, smtp_port = world
    controller, inbox = start_smtp(smtp_port)
    try:
        manager = Staff(srv, "manager")
        person = new_participant(engine)
        meetup_id = open_meetup_with(engine, manager, person)
        pid = str(person.id)
        before = count(engine, EventRow, meetup_id=meetup_id)
        refused = manager.command(meetup_id, "force_exit", participant_id=pid, reason="迷惑行為")
        assert refused.status_code == 422 and "まだ事前通告をしていません" in refused.text
        assert count(engine, EventRow, meetup_id=meetup_id) == before

        flag = manager.command(
            meetup_id,
            "flag",
            participant_id=pid,
            space="exchange",
            reason="personal_info",
            note="住所を聞いていた",
        )
        warned = manager.command(
            meetup_id,
            "warn",
            participant_id=pid,
            rule="personal_info",
            wording="個人情報を尋ねないでください",
            flag_seq=flag.headers["x-event-seq"],
        )
        assert warned.status_code == 200
        exited = manager.command(
            meetup_id,
            "force_exit",
            participant_id=pid,
            reason="通告後も続いたため",
            for_ward="通告後も個人情報の聞き取りが続いたため退室としました。",
        )
        assert exited.status_code == 200, exited.text

        page = manager.http.get(f"/meetups/{meetup_id}").text
        assert f'id="person-{person.id}"' not in page
        assert "<dt>強制退室</dt><dd>1件" in page
        with Session(engine) as db:
            [report] = db.exec(select(WardReport).where(WardReport.meetup_id == meetup_id)).all()
        assert report.kind == "forced_exit" and person.code in report.body
        assert "事前通告後の強制退室" in report.body
        # Written for the ward: reason codes, roles and the manager's text; no staff memo,
        # no wording of the warning, no reason typed for the staff.
        assert "通報(私的な個人情報の聞き取り) 記録: 管理者" in report.body
        assert "事前通告(私的な個人情報の聞き取り) 通告: 管理者" in report.body
        assert "通告後も個人情報の聞き取りが続いたため退室としました。" in report.body
        for staff_only in (
            "住所を聞いていた",
            "個人情報を尋ねないでください",
            "通告後も続いたため",
        ):
            assert staff_only not in report.body
        assert "管理者 佐藤" not in report.body  # roles, not names
        assert person.display_name not in report.body  # the ward identifies by participant ID

        message = wait_for(lambda: inbox.messages and inbox.messages[-1])
        assert message["To"] == WARD
        assert (
            "強制退室のご報告" in message["Subject"]
            and person.display_name not in message["Subject"]
        )
        # The mail says a report exists and where to read it; its content stays in the console.
        mail = message.get_content()
        assert "区への報告" in mail and person.code not in mail and "通告後も" not in mail
        ward = Staff(srv, "ward")
        listing = ward.http.get("/reports")
        assert (
            listing.status_code == 200
            and person.code in listing.text
            and "送信済み" in listing.text
        )
    finally:
        controller.stop()


def test_immediate_forced_exit_needs_a_reason_and_is_marked(world):
    srv, engine, _ = world
    manager = Staff(srv, "manager")
    person = new_participant(engine)
    meetup_id = open_meetup_with(engine, manager, person)
    no_reason = manager.command(
        meetup_id, "force_exit", participant_id=str(person.id), immediate="on"
    )
    assert no_reason.status_code == 422 and "強制退室の理由を入力してください" in no_reason.text
    ok = manager.command(
        meetup_id,
        "force_exit",
        participant_id=str(person.id),
        immediate="on",
        reason="他の参加者への脅迫があったため",
    )
    assert ok.status_code == 200
    with Session(engine) as db:
        report = db.exec(select(WardReport).where(WardReport.meetup_id == meetup_id)).one()
    assert "即時の強制退室" in report.body
    assert "強制退室となりました(即時)" in manager.http.get(f"/meetups/{meetup_id}").text


def test_double_clicked_forced_exit_gives_one_event_one_report_one_email(world):
    srv, engine, smtp_port = world
    controller, inbox = start_smtp(smtp_port)
    try:
        manager = Staff(srv, "manager")
        person = new_participant(engine)
        meetup_id = open_meetup_with(engine, manager, person)
        manager.command(
            meetup_id, "warn", participant_id=str(person.id), rule="abuse", wording="やめましょう"
        )
        command_id = uuid.uuid4().hex
        answers = [
            manager.command(
                meetup_id,
                "force_exit",
                command_id=command_id,
                participant_id=str(person.id),
                reason="暴言",
            )
            for _ in range(2)
        ]
        assert [a.status_code for a in answers] == [200, 200]
        assert count(engine, EventRow, meetup_id=meetup_id, type="forced_exit") == 1
        assert count(engine, WardReport, meetup_id=meetup_id) == 1
        key = f"ward-report:{meetup_id}:{answers[0].headers['x-event-seq']}"
        assert answers[1].headers["x-event-seq"] == answers[0].headers["x-event-seq"]
        assert count(engine, OutboxMessage, key=key) == 1  # one email queued ...
        sent(engine, key)
        assert len(inbox.messages) == 1  # ... and sent once
    finally:
        controller.stop()


def test_smtp_down_keeps_the_report_queued_until_it_can_be_delivered_once(world):
    srv, engine, smtp_port = world
    manager = Staff(srv, "manager")
    meetup_id = new_meetup(engine)
    manager.command(meetup_id, "open_doors")
    answer = manager.command(
        meetup_id,
        "incident",
        kind="system",
        what="音声サーバーが停止した",
        actions="参加者に再入室を案内",
        police="",
        fire="",
        for_ward="音声サーバーが停止したため、参加者に再入室を案内しました。",
    )
    assert answer.status_code == 200
    key = f"ward-report:{meetup_id}:{answer.headers['x-event-seq']}"

    def attempts() -> int:
        with Session(engine) as db:
            mail = db.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
            return mail.attempts if mail.sent_at is None and mail.last_error else 0

    assert wait_for(lambda: attempts() >= 2)  # retried while nobody listens
    controller, inbox = start_smtp(smtp_port)
    try:
        sent(engine, key)
        assert len(inbox.messages) == 1
        assert "事故・トラブルのご報告" in inbox.messages[0]["Subject"]
        mail = inbox.messages[0].get_content()
        assert "「区への報告」でご確認ください" in mail and "音声サーバー" not in mail
        with Session(engine) as db:
            mail = db.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
        assert mail.sent_at is not None and mail.last_error is None
    finally:
        controller.stop()
    assert "<dt>事故・トラブル</dt><dd>有(1件)" in manager.http.get(f"/meetups/{meetup_id}").text


def test_a_block_refuses_entry_in_every_later_session_until_lifted(world):
    srv, engine, _ = world
    manager, support = Staff(srv, "manager"), Staff(srv, "support")
    person = new_participant(engine)
    first = open_meetup_with(engine, manager, person)
    manager.command(
        first,
        "warn",
        participant_id=str(person.id),
        rule="solicitation",
        wording="勧誘はやめてください",
    )
    manager.command(first, "force_exit", participant_id=str(person.id), reason="勧誘が続いた")
    present_block = manager.command(
        first, "block", participant_id=str(person.id), reason="勧誘を繰り返した"
    )
    assert present_block.status_code == 200, present_block.text
    assert count(engine, Block, participant_id=person.id) == 1

    second = new_meetup(engine)
    manager.command(second, "open_doors")
    before = count(engine, EventRow, meetup_id=second)
    refused = support.command(second, "enter", participant_code=person.code, space="exchange")
    assert refused.status_code == 422 and "ブロック中の参加者のため入室できません" in refused.text
    assert count(engine, EventRow, meetup_id=second, type="entry_refused") == 1
    assert count(engine, EventRow, meetup_id=second, type="participant_entered") == 0
    assert count(engine, EventRow, meetup_id=second) == before + 1
    page = manager.http.get(f"/meetups/{second}").text
    assert "ブロック中の参加者の入室拒否" in page and person.code in page
    assert "ブロック中の参加者の入室拒否" not in support.http.get(f"/meetups/{second}").text

    lifted = manager.command(
        second, "unblock", participant_id=str(person.id), reason="面談で確認できた"
    )
    assert lifted.status_code == 200
    assert (
        support.command(second, "enter", participant_code=person.code, space="exchange").status_code
        == 200
    )
    blocks_page = manager.http.get("/blocks").text
    assert "解除済み" in blocks_page and "面談で確認できた" in blocks_page
    history = manager.http.get(f"/participants/{person.id}/history").text
    for line in (
        "事前通告",
        "強制退室",
        "ブロック: 勧誘を繰り返した",
        "ブロック解除",
        "入室を拒否",
    ):
        assert line in history


def test_flags_stay_open_until_acted_on_or_dismissed_with_a_reason(world):
    srv, engine, _ = world
    manager, counsellor = Staff(srv, "manager"), Staff(srv, "counsellor1")
    person = new_participant(engine)
    meetup_id = open_meetup_with(engine, manager, person)
    off_duty = counsellor.command(
        meetup_id, "flag", description="赤い服のアバター", space="rest", reason="abuse"
    )
    assert off_duty.status_code == 422 and "勤務中の職員" in off_duty.text
    counsellor.command(meetup_id, "duty_on", post="rest")
    flag = counsellor.command(
        meetup_id,
        "flag",
        description="赤い服のアバター",
        space="rest",
        reason="abuse",
        note="大声で罵倒",
    )
    assert flag.status_code == 200
    seq = flag.headers["x-event-seq"]
    assert f'id="flag-{seq}"' in manager.http.get(f"/meetups/{meetup_id}").text
    assert f'id="flag-{seq}"' not in counsellor.http.get(f"/meetups/{meetup_id}").text
    no_reason = manager.command(meetup_id, "dismiss_flag", flag_seq=seq, reason="")
    assert no_reason.status_code == 422
    assert (
        manager.command(
            meetup_id, "dismiss_flag", flag_seq=seq, reason="既に退室していた"
        ).status_code
        == 200
    )
    assert f'id="flag-{seq}"' not in manager.http.get(f"/meetups/{meetup_id}").text
    again = manager.command(meetup_id, "dismiss_flag", flag_seq=seq, reason="二度目")
    assert again.status_code == 422 and "対応済み" in again.text


def test_ward_role_sees_reports_but_no_moderation_records(world):
    srv, engine, _ = world
    manager, ward = Staff(srv, "manager"), Staff(srv, "ward")
    person = new_participant(engine)
    meetup_id = open_meetup_with(engine, manager, person)
    manager.command(
        meetup_id,
        "flag",
        participant_id=str(person.id),
        space="exchange",
        reason="abuse",
        note="秘密",
    )
    manager.command(
        meetup_id, "warn", participant_id=str(person.id), rule="abuse", wording="通告文"
    )
    page = ward.http.get(f"/meetups/{meetup_id}").text
    assert "通告文" not in page and "秘密" not in page and "通報" not in page
    assert ward.http.get(f"/participants/{person.id}/history").status_code == 403
    assert ward.http.get("/blocks").status_code == 403
    assert ward.http.get("/reports").status_code == 200


async def test_the_ward_reads_that_a_forced_exit_and_an_incident_happened_not_the_staff_text(
    world,
):
    """Spec 6(1)⑥オ, 9 and 12: the ward's screen, live frames and reports carry facts and the
    text written for the ward, never a reason, memo, wording or incident record typed for
    the staff (an avatar name typed there must not reach the ward)."""
    srv, engine, _ = world
    manager, ward = Staff(srv, "manager"), Staff(srv, "ward")
    person = new_participant(engine)
    meetup_id = open_meetup_with(engine, manager, person)
    seq = page_seq(ward.http.get(f"/meetups/{meetup_id}").text)
    live = await LiveClient(srv.ws_url, meetup_id, ward.ws_headers()).connect(seq)
    staff_only = [
        "秘密のメモ",
        "通告の文言",
        "職員向けの退室理由",
        "アバター名ゆうき",
        "職員の対応記録",
    ]
    manager.command(
        meetup_id,
        "flag",
        participant_id=person.id,
        space="exchange",
        reason="abuse",
        note="秘密のメモ",
    )
    manager.command(meetup_id, "warn", participant_id=person.id, rule="abuse", wording="通告の文言")
    exited = manager.command(
        meetup_id,
        "force_exit",
        participant_id=person.id,
        reason="職員向けの退室理由",
        for_ward="区への記載A",
    )
    assert exited.status_code == 200, exited.text
    incident = manager.command(
        meetup_id,
        "incident",
        kind="dispute",
        what="アバター名ゆうきさんと口論",
        actions="職員の対応記録",
        for_ward="区への記載B",
    )
    assert incident.status_code == 200, incident.text
    await live.until_seq(int(incident.headers["x-event-seq"]))
    await live.close()
    frames = "".join(live.frames)
    assert "強制退室となりました" in frames and "事故・トラブルが記録されました" in frames
    listing = ward.http.get("/reports").text
    assert "区への記載A" in listing and "区への記載B" in listing and person.code in listing
    page = ward.http.get(f"/meetups/{meetup_id}").text
    with Session(engine) as db:
        reports = [
            r.body for r in db.exec(select(WardReport).where(WardReport.meetup_id == meetup_id))
        ]
        mails = [m.body for m in db.exec(select(OutboxMessage))]
    assert len(reports) == 2
    for seen in (frames, listing, page, *reports, *mails):
        for text in staff_only:
            assert text not in seen
    assert (
        "職員向けの退室理由" in manager.http.get(f"/meetups/{meetup_id}").text
    )  # staff still read it


def test_a_warning_cannot_close_someone_elses_flag_and_dismissed_flags_stay_out_of_reports(world):
    srv, engine, _ = world
    manager = Staff(srv, "manager")
    a, b = new_participant(engine), new_participant(engine)
    meetup_id = open_meetup_with(engine, manager, a)
    manager.command(meetup_id, "enter", participant_code=b.code, space="exchange")
    flag_b = manager.command(
        meetup_id,
        "flag",
        participant_id=str(b.id),
        space="exchange",
        reason="abuse",
        note="Bさんの件",
    )
    wrong = manager.command(
        meetup_id,
        "warn",
        participant_id=str(a.id),
        rule="abuse",
        wording="注意",
        flag_seq=flag_b.headers["x-event-seq"],
    )
    assert wrong.status_code == 422 and "別の参加者" in wrong.text
    flag_a = manager.command(
        meetup_id,
        "flag",
        participant_id=str(a.id),
        space="exchange",
        reason="other",
        note="誤報だった件",
    )
    manager.command(
        meetup_id, "dismiss_flag", flag_seq=flag_a.headers["x-event-seq"], reason="誤解"
    )
    manager.command(
        meetup_id, "warn", participant_id=str(a.id), rule="abuse", wording="言葉に気をつけて"
    )
    manager.command(meetup_id, "force_exit", participant_id=str(a.id), reason="暴言が続いた")
    with Session(engine) as db:
        report = db.exec(select(WardReport).where(WardReport.meetup_id == meetup_id)).one()
    assert "事前通告(悪口雑言)" in report.body and "言葉に気をつけて" not in report.body
    assert "その他の利用規約違反" not in report.body  # the dismissed flag is not reported
    assert "誤報だった件" not in report.body and "Bさんの件" not in report.body


def test_only_one_active_block_per_participant(world):
    srv, engine, _ = world
    manager = Staff(srv, "manager")
    person = new_participant(engine)
    one, two = new_meetup(engine), new_meetup(engine)
    assert (
        manager.command(one, "block", participant_id=str(person.id), reason="一回目").status_code
        == 200
    )
    again = manager.command(two, "block", participant_id=str(person.id), reason="二回目")
    assert again.status_code == 422 and "すでにブロック" in again.text
    assert count(engine, Block, participant_id=person.id) == 1


def test_earlier_warnings_show_beside_the_name_for_those_who_moderate(world):
    srv, engine, _ = world
    manager, facilitator, counsellor = (
        Staff(srv, r) for r in ("manager", "facilitator", "counsellor2")
    )
    person = new_participant(engine)
    first = open_meetup_with(engine, manager, person)
    manager.command(
        first, "warn", participant_id=str(person.id), rule="abuse", wording="一度目の通告"
    )
    second = open_meetup_with(engine, manager, person)
    badge = "事前通告 今回0回・過去1回"
    assert badge in facilitator.http.get(f"/meetups/{second}").text
    assert badge not in counsellor.http.get(f"/meetups/{second}").text
    assert "事前通告 今回1回" in manager.http.get(f"/meetups/{first}").text
    assert (
        "過去1回" not in manager.http.get(f"/meetups/{first}").text
    )  # later sessions do not count
