"""The live hub over a real uvicorn server and real websocket clients."""

import asyncio
import re
import signal

import pytest
import websockets
from sqlmodel import Session, select

from console.live.hub import CLOSE, Subscriber
from console.session.models import Participant
from tests.conftest import Staff, make_server, seed
from tests.live_client import LiveClient, page_seq


def current_seq(staff: Staff, meetup_id: int) -> int:
    return page_seq(staff.http.get(f"/meetups/{meetup_id}").text)


def someone_present(engine, staff: Staff, meetup_id: int, space: str | None = None) -> int:
    """A participant present in the meetup (not in `space`, if given): from the page."""
    html = staff.http.get(f"/meetups/{meetup_id}").text
    sections = re.findall(r'<ul id="people-(\w+)"(.*?)</ul>', html, re.S)
    for name, body in sections:
        if name != space:
            ids = re.findall(r'id="person-(\d+)"', body)
            if ids:
                return int(ids[0])
    raise AssertionError("nobody present")


async def test_a_move_made_by_one_client_reaches_the_other(server, staff, engine):
    manager, counsellor = staff("manager"), staff("counsellor1")
    meetup_id = 1
    seq = current_seq(manager, meetup_id)
    watcher = await LiveClient(server.ws_url, meetup_id, counsellor.ws_headers()).connect(seq)
    actor = await LiveClient(server.ws_url, meetup_id, manager.ws_headers()).connect(seq)
    pid = someone_present(engine, manager, meetup_id, space="rest")
    response = manager.command(meetup_id, "move", participant_id=str(pid), space="rest")
    assert response.status_code == 200, response.text
    new_seq = int(response.headers["x-event-seq"])
    for client in (watcher, actor):
        frame = await client.until(lambda f, s=new_seq: f'id="ev-{s}"' in f)
        assert "休憩スペースへ移動しました" in frame
        # The row moves as itself (the `move` swap in console.js), so nothing open in it is lost.
        assert f'<ul hx-swap-oob="move:#people-rest"><li id="person-{pid}"' in frame
        assert f'<li id="person-{pid}" hx-swap-oob="delete">' not in frame
    await watcher.close()
    await actor.close()


async def test_reconnecting_client_gets_exactly_the_missed_events_once(server, staff):
    manager = staff("manager")
    meetup_id = 1
    seq = current_seq(manager, meetup_id)
    client = await LiveClient(server.ws_url, meetup_id, manager.ws_headers()).connect(seq)
    await client.quiet(0.3)
    await client.close()
    for i in range(50):
        assert manager.command(meetup_id, "note", text=f"見逃し{i}").status_code == 200
    back = await LiveClient(server.ws_url, meetup_id, manager.ws_headers()).connect(seq)
    await back.until_seq(seq + 50)
    await back.quiet(0.5)
    assert back.event_seqs == list(range(seq + 1, seq + 51))
    assert "見逃し0" in "".join(back.frames) and "見逃し49" in "".join(back.frames)
    # The queue that filled while replaying must not send them again; the next one arrives once.
    response = manager.command(meetup_id, "note", text="次")
    await back.until_seq(int(response.headers["x-event-seq"]))
    await back.quiet(0.3)
    assert back.event_seqs == list(range(seq + 1, seq + 52))
    await back.close()


async def test_ward_frames_carry_counts_but_no_names_or_notes(server, staff, engine):
    manager, ward = staff("manager"), staff("ward")
    meetup_id = 1
    seq = current_seq(manager, meetup_id)
    client = await LiveClient(server.ws_url, meetup_id, ward.ws_headers()).connect(seq)
    pid = someone_present(engine, manager, meetup_id, space="info")
    with Session(engine) as db:
        name = db.get(Participant, pid).display_name
        all_names = [p.display_name for p in db.exec(select(Participant))]
    manager.command(meetup_id, "move", participant_id=str(pid), space="info")
    note = manager.command(meetup_id, "note", text=f"{name}さんの件で秘密のメモ")
    await client.until_seq(int(note.headers["x-event-seq"]))
    frames = "".join(client.frames)
    assert 'id="count-info"' in frames
    assert "参加者が" in frames
    assert "秘密のメモ" not in frames
    assert not [n for n in all_names if n in frames]
    page = ward.http.get(f"/meetups/{meetup_id}").text
    assert not [n for n in all_names if f"{n}</strong>" in page or f"「{n}」" in page]
    assert "秘密のメモ" not in page
    await client.close()


async def test_server_killed_and_restarted_continues_with_nothing_lost(tmp_path):
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    _engine, meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    try:
        manager = Staff(srv, "manager")
        seq = current_seq(manager, meetup.id)
        for i in range(5):
            manager.command(meetup.id, "note", text=f"再起動前{i}")
        before = manager.http.get(f"/meetups/{meetup.id}").text
        srv.stop(signal.SIGKILL)
        srv.start()
        after = manager.http.get(f"/meetups/{meetup.id}").text
        assert page_seq(after) == seq + 5
        for label in ("在室", "参加者(累計)", "途中参加", "最大同時在室"):
            pattern = rf"<dt>{re.escape(label)}</dt><dd>(\d+)名"
            assert re.search(pattern, after).group(1) == re.search(pattern, before).group(1)
        client = await LiveClient(srv.ws_url, meetup.id, manager.ws_headers()).connect(seq)
        response = manager.command(meetup.id, "note", text="再起動後")
        assert int(response.headers["x-event-seq"]) == seq + 6
        await client.until_seq(seq + 6)
        await client.quiet(0.3)
        assert client.event_seqs == list(range(seq + 1, seq + 7))
        await client.close()
    finally:
        srv.stop()


async def test_idle_sockets_get_heartbeats_and_shutdown_closes_them_with_1012(tmp_path):
    url = f"sqlite:///{tmp_path / 'shutdown.db'}"
    _engine, meetup = seed(url)
    srv = make_server(url, tmp_path, LIVE_HEARTBEAT_SECONDS="0.3").start()
    try:
        manager = Staff(srv, "manager")
        seq = current_seq(manager, meetup.id)
        client = await LiveClient(srv.ws_url, meetup.id, manager.ws_headers()).connect(seq)

        def two_beats(_frame: str) -> bool:
            return sum('id="live-heartbeat"' in f for f in client.frames) >= 2

        await client.until(two_beats, timeout=30)  # one every 0.3 s, however slow the machine
        srv.process.send_signal(signal.SIGTERM)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(client.until(lambda f: False, timeout=10), 12)
        assert closed.value.rcvd.code == 1012
    finally:
        srv.stop()


def test_a_subscriber_that_falls_behind_is_told_to_close_and_resync():
    sub = Subscriber(role="manager", queue=asyncio.Queue(3))
    for seq in range(1, 4):
        sub.push(seq, f"frame {seq}")
    assert not sub.overflowed
    sub.push(4, "frame 4")
    assert sub.overflowed
    assert sub.queue.qsize() == 1 and sub.queue.get_nowait() == (CLOSE, 1013)
    sub.push(5, "frame 5")
    assert sub.queue.empty()


async def test_logout_closes_that_logins_open_sockets_for_good(server):
    me = Staff(server, "counsellor2")
    seq = current_seq(me, 1)
    client = await LiveClient(server.ws_url, 1, me.ws_headers()).connect(seq)
    await client.quiet(0.2)
    me.http.post("/logout", headers={"X-CSRF-Token": me.csrf})
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.until(lambda f: False, timeout=5)
    assert closed.value.rcvd.code == 1008  # policy: the browser does not reconnect


async def test_a_socket_whose_login_ended_elsewhere_is_closed_at_the_next_heartbeat(tmp_path):
    from console.security.models import StaffSession

    url = f"sqlite:///{tmp_path / 'expiry.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp_path, LIVE_HEARTBEAT_SECONDS="0.3").start()
    try:
        me = Staff(srv, "facilitator")
        client = await LiveClient(srv.ws_url, meetup.id, me.ws_headers()).connect(0)
        await client.quiet(0.2)
        with Session(engine) as db:  # e.g. the login expired or another worker logged it out
            for login in db.exec(select(StaffSession)):
                db.delete(login)
            db.commit()
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.until(lambda f: False, timeout=5)
        assert closed.value.rcvd.code == 1008
    finally:
        srv.stop()
