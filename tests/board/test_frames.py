"""What a live frame carries: panels are morphed, and only the panels an event changed."""

from tests.conftest import Staff, make_server, new_participant, seed
from tests.live_client import LiveClient, page_seq


async def frame_of(client: LiveClient, seq: int) -> str:
    return await client.until(lambda f: f'id="ev-{seq}"' in f)


async def test_panels_are_morphed_and_only_the_ones_an_event_changed_are_sent(tmp_path):
    url = f"sqlite:///{tmp_path / 'frames.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    try:
        manager = Staff(srv, "manager")
        seq = page_seq(manager.http.get(f"/meetups/{meetup.id}").text)
        client = await LiveClient(srv.ws_url, meetup.id, manager.ws_headers()).connect(seq)
        calm = new_participant(engine, "静か")
        entered = manager.command(meetup.id, "enter", participant_code=calm.code, space="rest")
        frame = await frame_of(client, int(entered.headers["x-event-seq"]))
        assert 'id="moderation-panel"' not in frame  # no flag, no forced exit: not its business
        assert 'id="consultation-panel"' not in frame

        left = manager.command(meetup.id, "leave", participant_id=str(calm.id))
        frame = await frame_of(client, int(left.headers["x-event-seq"]))
        assert 'id="moderation-panel"' not in frame
        assert 'id="consultation-panel"' not in frame
        assert '<section id="meetup-status"' in frame and 'hx-swap-oob="morph"' in frame
        assert 'id="count-rest"' in frame and 'id="count-exchange"' not in frame

        flagged = new_participant(engine, "通報対象")
        manager.command(meetup.id, "enter", participant_code=flagged.code, space="exchange")
        raised = manager.command(
            meetup.id,
            "flag",
            participant_id=str(flagged.id),
            space="exchange",
            reason="abuse",
        )
        frame = await frame_of(client, int(raised.headers["x-event-seq"]))
        assert '<section id="moderation-panel"' in frame
        assert 'data-open-flags="2"' in frame  # the demo's flag and this one
        assert "新しい通報" in frame and 'data-cue="flag"' in frame  # the spoken cue

        # Leaving changes what the flag offers (no forced exit for someone absent).
        left = manager.command(meetup.id, "leave", participant_id=str(flagged.id))
        frame = await frame_of(client, int(left.headers["x-event-seq"]))
        assert '<section id="moderation-panel"' in frame
        await client.close()
    finally:
        srv.stop()


async def test_cues_speak_of_flags_requests_and_staffing_to_those_who_act_on_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'cues.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    try:
        manager, ward = Staff(srv, "manager"), Staff(srv, "ward")
        seq = page_seq(manager.http.get(f"/meetups/{meetup.id}").text)
        watching = await LiveClient(srv.ws_url, meetup.id, manager.ws_headers()).connect(seq)
        aside = await LiveClient(srv.ws_url, meetup.id, ward.ws_headers()).connect(seq)
        person = new_participant(engine, "相談")
        manager.command(meetup.id, "enter", participant_code=person.code, space="exchange")
        asked = manager.command(meetup.id, "consult_request", participant_id=str(person.id))
        frame = await frame_of(watching, int(asked.headers["x-event-seq"]))
        assert "相談希望: " in frame and person.display_name in frame
        assert 'data-actor="' in frame  # the asker's own screen drops it (console.js)
        ward_frame = await frame_of(aside, int(asked.headers["x-event-seq"]))
        assert "live-announce" not in ward_frame and person.display_name not in ward_frame

        off = Staff(srv, "counsellor2").command(meetup.id, "duty_off")
        frame = await frame_of(watching, int(off.headers["x-event-seq"]))
        assert 'data-cue="staffing"' in frame and "配置基準: " in frame and "未充足" in frame
        ward_frame = await frame_of(aside, int(off.headers["x-event-seq"]))
        assert 'data-cue="staffing"' in ward_frame  # staffing is everyone's business
        await watching.close()
        await aside.close()
    finally:
        srv.stop()


async def test_a_present_participant_with_an_open_follow_up_carries_a_reminder(tmp_path):
    """Issue 18's reminders on the dashboard: the row of someone here today who has an open
    follow-up says so (and when it is due) to the staff who take follow-ups on, at once when
    a completed record makes one; the ward never sees it."""
    from datetime import timedelta

    from sqlmodel import Session, select

    from console.care.models import FollowUp
    from console.settings import TZ
    from console.store.columns import utcnow
    from console.store.db import transaction
    from tests.consultations.test_consultations import consult, save

    url = f"sqlite:///{tmp_path / 'reminder.db'}"
    engine, _meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    try:
        meetup_id, counsellor, record = consult(engine, srv)  # the person is back in the rest space
        pid, board = record.participant_id, f"/meetups/{meetup_id}"
        page = counsellor.http.get(board).text
        assert f'id="person-{pid}"' in page and "badge follow-up" not in page
        watching = await LiveClient(srv.ws_url, meetup_id, counsellor.ws_headers()).connect(
            page_seq(page)
        )
        ward = Staff(srv, "ward")
        aside = await LiveClient(srv.ws_url, meetup_id, ward.ws_headers()).connect(page_seq(page))
        saved = save(counsellor, record.id, follow_up="on")
        assert saved.status_code == 200, saved.text
        with Session(engine) as db:
            due = db.exec(select(FollowUp.due).where(FollowUp.participant_id == pid)).one()
        frame = await frame_of(watching, int(saved.headers["x-event-seq"]))
        row = frame[frame.index(f'id="person-{pid}"') :]
        assert f"フォローアップ 期限{due.month}/{due.day}" in row[: row.index("</li>")]
        await aside.until_seq(int(saved.headers["x-event-seq"]))
        assert aside.frames and not any("badge follow-up" in f for f in aside.frames)
        assert "badge follow-up" not in ward.http.get(board).text
        await watching.close()
        await aside.close()

        with transaction(engine) as db:  # the due date passes
            follow_up = db.exec(select(FollowUp).where(FollowUp.participant_id == pid)).one()
            follow_up.due = utcnow().astimezone(TZ).date() - timedelta(days=1)
            db.add(follow_up)
        late = Staff(srv, "facilitator").http.get(board).text
        assert "フォローアップ 期限超過(" in late and 'class="badge follow-up overdue"' in late
    finally:
        srv.stop()
