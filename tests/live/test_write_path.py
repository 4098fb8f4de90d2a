"""The write path's guarantees, through the real server: gap-free seqs when commands race,
exactly one event for a command sent many times at once, and nothing published before it is
committed (an event committed but never published still reaches a reconnecting dashboard);
commands appended together each keep their own outcome and reach a dashboard in one frame."""

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


def _note(text: str):
    return lambda _db, _state: ev.StaffNotePosted(text=text)


def test_commands_appended_together_each_get_their_own_outcome(own):
    """One transaction for several commands: each decided against the state the ones before
    it made, a refusal or a retry inside leaves the others alone, the seqs stay gap-free."""
    from console.core.errors import Refused

    _srv, engine = own
    meetup_id = new_meetup(engine)
    first = uuid.uuid4().hex
    same = eventlog.fingerprint("note", {"text": "一"})

    def refuse(_db, _state):
        raise Refused("だめです。")

    seen: list[int] = []

    def count(_db, state):
        seen.append(state.seq)
        return ev.StaffNotePosted(text="三")

    requests = [
        eventlog.Request(first, same, None, _note("一")),
        eventlog.Request(uuid.uuid4().hex, "x", None, refuse),
        eventlog.Request(uuid.uuid4().hex, "y", None, count),
        eventlog.Request(first, same, None, _note("一")),  # the same command again
        eventlog.Request(first, "other input", None, _note("別")),  # its id, reused
        eventlog.Request("bad id", "z", None, _note("不正")),
    ]
    outcomes = eventlog.append_many(
        engine, meetup_id=meetup_id, requests=requests, state=eventlog.replay(engine, meetup_id)
    )
    assert [o.event.seq for o in (outcomes[0], outcomes[2])] == [1, 2]
    assert seen == [1]  # decided after the first event, the refused one left no trace
    assert isinstance(outcomes[1], Refused) and outcomes[1].message == "だめです。"
    assert outcomes[3].duplicate and outcomes[3].event.seq == 1
    assert isinstance(outcomes[4], Refused) and outcomes[4].status == 409
    assert isinstance(outcomes[5], Refused) and outcomes[5].status == 400
    assert seqs_of(engine, meetup_id) == [1, 2]
    with Session(engine) as db:
        assert db.get(Meetup, meetup_id).last_seq == 2


async def test_commands_that_wait_together_reach_a_dashboard_in_one_frame(own):
    """Commands that arrive while the meetup's writer is busy are appended and delivered
    together: one frame per role carrying every event's `#live-seq`, each once. A command
    whose `decide` fails with an error fails alone."""
    import asyncio
    import re

    _srv, engine = own
    meetup_id = new_meetup(engine)
    hub = Hub(engine, queue_size=64)
    dashboard = hub.subscribe(await hub.live(meetup_id), "manager")

    def boom(_db, _state):
        raise RuntimeError("a defect in one command")

    async def send(n: int):
        return await append_and_publish(
            hub,
            meetup_id=meetup_id,
            actor_id=1,
            command_id=uuid.uuid4().hex,
            fingerprint=str(n),
            decide=boom if n == 4 else _note(f"まとめて{n}"),
        )

    outcomes = await asyncio.gather(*(send(n) for n in range(10)), return_exceptions=True)
    assert isinstance(outcomes[4], RuntimeError)
    appended = [o for n, o in enumerate(outcomes) if n != 4]
    assert sorted(o.event.seq for o in appended) == list(range(1, 10))
    frames = []
    while not dashboard.queue.empty():
        frames.append(dashboard.queue.get_nowait()[1])
    markers = [int(m) for f in frames for m in re.findall(r'id="live-seq" data-seq="(\d+)"', f)]
    assert markers == list(range(1, 10))  # each once, in order
    assert len(frames) < 9  # delivered together, not one frame per event
    assert all(f"まとめて{n}" in "".join(frames) for n in range(10) if n != 4)
    assert seqs_of(engine, meetup_id) == list(range(1, 10))
