"""The event log: one writer, idempotent by command id, gap-free seqs under races."""

import threading
import uuid

import pytest
from sqlalchemy import update
from sqlmodel import Session, func, select

from console.core.errors import Refused
from console.demo import seed as seed_demo
from console.live import eventlog
from console.live.models import EventRow, Meetup
from console.session import events as ev
from console.session.state import LiveState
from console.store.db import make_engine
from console.store.schema import migrate
from tests.conftest import empty_postgres, new_meetup


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    engine = (
        empty_postgres()
        if request.param == "postgres"
        else make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    )
    migrate(engine)
    seed_demo(engine)
    yield engine
    engine.dispose()


NOTE = eventlog.fingerprint("note", {"text": "連絡"})


def note(text_: str = "連絡"):
    return lambda _db, _state: ev.StaffNotePosted(text=text_)


def count(engine, meetup_id: int) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).where(EventRow.meetup_id == meetup_id)).one()


def test_a_retry_gets_the_original_event_even_if_the_state_moved_on(engine):
    """The fingerprint is of the input: what `decide` would make of it now does not matter."""
    meetup_id = new_meetup(engine)
    state = LiveState(meetup_id=meetup_id)
    first = eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-0001",
        fingerprint=NOTE,
        actor_id=1,
        state=state,
        decide=note(),
    )
    again = eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-0001",
        fingerprint=NOTE,
        actor_id=1,
        state=state,
        decide=note("違う内容"),
    )
    assert not first.duplicate and again.duplicate
    assert again.event == first.event
    assert count(engine, meetup_id) == 1


def test_a_command_id_reused_for_other_input_is_refused(engine):
    meetup_id = new_meetup(engine)
    state = LiveState(meetup_id=meetup_id)
    eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-0002",
        fingerprint=NOTE,
        actor_id=1,
        state=state,
        decide=note(),
    )
    for other in (
        eventlog.fingerprint("note", {"text": "別の連絡"}),
        eventlog.fingerprint("flag", {"text": "連絡"}),
    ):
        with pytest.raises(Refused) as refused:
            eventlog.append(
                engine,
                meetup_id=meetup_id,
                command_id="cmd-0002",
                fingerprint=other,
                actor_id=1,
                state=state,
                decide=note("別の連絡"),
            )
        assert refused.value.status == 409
        assert "別の内容の操作で使用済み" in refused.value.message
    assert count(engine, meetup_id) == 1


def test_an_event_written_before_fingerprints_were_kept_still_answers_its_retry(engine):
    meetup_id = new_meetup(engine)
    state = LiveState(meetup_id=meetup_id)
    first = eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-0003",
        fingerprint=NOTE,
        actor_id=1,
        state=state,
        decide=note(),
    )
    with Session(engine) as db:
        db.exec(update(EventRow).where(EventRow.command_id == "cmd-0003").values(fingerprint=None))
        db.commit()
    again = eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-0003",
        fingerprint=eventlog.fingerprint("note", {"text": "何であれ"}),
        actor_id=1,
        state=state,
        decide=note("何であれ"),
    )
    assert again.duplicate and again.event == first.event
    assert count(engine, meetup_id) == 1


def test_the_fingerprint_ignores_the_order_of_fields_but_nothing_else():
    fingerprint = eventlog.fingerprint
    assert fingerprint("move", {"a": "1", "b": "2"}) == fingerprint("move", {"b": "2", "a": "1"})
    assert fingerprint("move", {"a": "1"}) != fingerprint("move", {"a": "1 "})
    assert fingerprint("move", {"a": "1"}) != fingerprint("enter", {"a": "1"})
    assert fingerprint("move", {"a": "1"}) != fingerprint("move", {"a": "1", "b": ""})


def test_refused_command_appends_nothing_and_uses_no_seq(engine):
    meetup_id = new_meetup(engine)
    state = LiveState(meetup_id=meetup_id)

    def refuse(_db, _state):
        raise Refused("だめです")

    with pytest.raises(Refused):
        eventlog.append(
            engine,
            meetup_id=meetup_id,
            command_id="cmd-refused",
            fingerprint=NOTE,
            actor_id=1,
            state=state,
            decide=refuse,
        )
    ok = eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-after",
        fingerprint=NOTE,
        actor_id=1,
        state=state,
        decide=note(),
    )
    assert ok.event.seq == 1
    assert count(engine, meetup_id) == 1


def test_invalid_command_id_is_refused(engine):
    meetup_id = new_meetup(engine)
    with pytest.raises(Refused):
        eventlog.append(
            engine,
            meetup_id=meetup_id,
            command_id="x",
            fingerprint=NOTE,
            actor_id=1,
            state=LiveState(meetup_id=meetup_id),
            decide=note(),
        )
    assert count(engine, meetup_id) == 0


def test_racing_commands_keep_seqs_gap_free(engine):
    meetup_id = new_meetup(engine)
    other_id = new_meetup(engine)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(15):
            target = meetup_id if i % 3 else other_id
            try:
                # Every thread holds a stale state: the log must catch it up itself.
                eventlog.append(
                    engine,
                    meetup_id=target,
                    command_id=f"race-{n}-{i}-{uuid.uuid4().hex[:6]}",
                    fingerprint=NOTE,
                    actor_id=1,
                    state=LiveState(meetup_id=target),
                    decide=note(),
                )
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for target, expected in ((meetup_id, 8 * 10), (other_id, 8 * 5)):
        with Session(engine) as db:
            seqs = list(
                db.exec(
                    select(EventRow.seq).where(EventRow.meetup_id == target).order_by(EventRow.seq)
                )
            )
            last = db.get(Meetup, target).last_seq
        assert seqs == list(range(1, expected + 1))
        assert last == expected


def test_same_command_id_racing_appends_once(engine):
    meetup_id = new_meetup(engine)
    results = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        results.append(
            eventlog.append(
                engine,
                meetup_id=meetup_id,
                command_id="twin-command",
                fingerprint=NOTE,
                actor_id=1,
                state=LiveState(meetup_id=meetup_id),
                decide=note(),
            )
        )

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count(engine, meetup_id) == 1
    assert sum(not r.duplicate for r in results) == 1
    assert {r.event.seq for r in results} == {1}


def test_stored_times_are_utc_and_round_trip(engine):
    meetup_id = new_meetup(engine)
    appended = eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-time",
        fingerprint=NOTE,
        actor_id=1,
        state=LiveState(meetup_id=meetup_id),
        decide=note(),
    )
    with Session(engine) as db:
        [stored] = eventlog.read_since(db, meetup_id, 0)
    assert stored.at == appended.event.at
    assert stored.at.utcoffset().total_seconds() == 0


def test_a_command_id_reused_by_someone_else_is_refused(engine):
    meetup_id = new_meetup(engine)
    other = new_meetup(engine)
    state = LiveState(meetup_id=meetup_id)
    eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id="cmd-owned",
        fingerprint=NOTE,
        actor_id=1,
        state=state,
        decide=note(),
    )
    for kwargs in ({"meetup_id": meetup_id, "actor_id": 2}, {"meetup_id": other, "actor_id": 1}):
        with pytest.raises(Refused) as refused:
            eventlog.append(
                engine,
                command_id="cmd-owned",
                fingerprint=NOTE,
                state=LiveState(meetup_id=kwargs["meetup_id"]),
                decide=note(),
                **kwargs,
            )
        assert refused.value.status == 409
    assert count(engine, meetup_id) == 1 and count(engine, other) == 0
