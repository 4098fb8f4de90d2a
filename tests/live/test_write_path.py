"""The write path's guarantees, through the real server: gap-free seqs when commands race,
exactly one event for a command sent many times at once, and nothing published before it is
committed (an event committed but never published still reaches a reconnecting dashboard)."""

import signal
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from console.live import eventlog
from console.live.commands import append_and_publish
from console.live.hub import Hub
from console.live.models import EventRow, Meetup
from console.session import events as ev
from tests.conftest import Staff, make_server, new_meetup, seed
from tests.live_client import LiveClient, page_seq


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A server and database of this module's own (a meetup per test keeps them apart)."""
    tmp = tmp_path_factory.mktemp("write-path")
    url = f"sqlite:///{tmp / 'write.db'}"
    engine, _meetup = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, engine
    srv.stop()
    engine.dispose()


def seqs_of(engine, meetup_id: int) -> list[int]:
    with Session(engine) as db:
        query = select(EventRow.seq).where(EventRow.meetup_id == meetup_id)
        return sorted(db.exec(query))


def test_fifty_racing_commands_get_gap_free_seqs(own):
    srv, engine = own
    meetup_id = new_meetup(engine)
    staff = [Staff(srv, login) for login in ("manager", "facilitator", "support")]

    def note(n: int):
        return staff[n % len(staff)].command(meetup_id, "note", text=f"同時送信{n}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(note, range(50)))
    assert [r.status_code for r in responses] == [200] * 50
    answered = sorted(int(r.headers["x-event-seq"]) for r in responses)
    assert answered == list(range(1, 51))
    assert seqs_of(engine, meetup_id) == list(range(1, 51))
    with Session(engine) as db:
        assert db.get(Meetup, meetup_id).last_seq == 50


def test_twenty_identical_commands_at_once_record_one_event(own):
    srv, engine = own
    meetup_id = new_meetup(engine)
    manager = Staff(srv, "manager")
    command_id = uuid.uuid4().hex

    def same(_n: int):
        return manager.command(meetup_id, "note", command_id=command_id, text="一度だけ")

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(same, range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert {r.headers["x-event-seq"] for r in responses} == {"1"}
    assert sum("記録は1件のみ" in r.text for r in responses) == 19
    assert seqs_of(engine, meetup_id) == [1]


async def test_an_event_is_committed_before_any_dashboard_gets_it(own):
    """In-process hub: while the append transaction runs, nothing is queued for the
    dashboard; when the frame is queued, another connection already reads the event."""
    _srv, engine = own
    meetup_id = new_meetup(engine)
    hub = Hub(engine, queue_size=16)
    dashboard = hub.subscribe(await hub.live(meetup_id), "manager")
    during: list[bool] = []

    def decide(_db, _state):
        during.append(dashboard.queue.empty())
        return ev.StaffNotePosted(text="確定前")

    appended = await append_and_publish(
        hub,
        meetup_id=meetup_id,
        actor_id=1,
        command_id=uuid.uuid4().hex,
        fingerprint=eventlog.fingerprint("note", {"text": "確定前"}),
        decide=decide,
    )
    assert during == [True]
    seq, frame = dashboard.queue.get_nowait()
    assert seq == appended.event.seq == 1 and "確定前" in frame
    assert seqs_of(engine, meetup_id) == [1]  # read on a connection of its own: committed


async def test_an_event_committed_but_never_published_reaches_a_reconnecting_dashboard(
    tmp_path,
):
    """The process dies between the commit and the publish: here the event is committed by
    another process (so this server never publishes it) and the server is then killed. The
    dashboard that reconnects after the restart gets it from the log, once."""
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    try:
        manager = Staff(srv, "manager")
        seq = page_seq(manager.http.get(f"/meetups/{meetup.id}").text)
        client = await LiveClient(srv.ws_url, meetup.id, manager.ws_headers()).connect(seq)
        await client.quiet(0.3)
        eventlog.append(
            engine,
            meetup_id=meetup.id,
            command_id=uuid.uuid4().hex,
            fingerprint=eventlog.fingerprint("note", {"text": "未配信"}),
            actor_id=None,
            state=eventlog.replay(engine, meetup.id),
            decide=lambda _db, _state: ev.StaffNotePosted(text="未配信"),
        )
        srv.stop(signal.SIGKILL)
        srv.start()
        again = await LiveClient(srv.ws_url, meetup.id, manager.ws_headers()).connect(seq)
        await again.until_seq(seq + 1)
        await again.quiet(0.3)
        assert again.event_seqs == [seq + 1]
        assert "未配信" in "".join(again.frames)
        await again.close()
    finally:
        srv.stop()
        engine.dispose()
