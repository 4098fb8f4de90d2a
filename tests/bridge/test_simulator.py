"""The simulator plays a whole session at high speed; the post-session summary counts what it
sent. And the console killed mid-burst loses nothing and doubles nothing once the simulator's
retries get through."""

import csv
import io
import signal
import threading
import uuid

from sqlmodel import Session, col, select

from console.bridge import links
from console.bridge.contract import Kind
from console.bridge.simulator import Platform, run
from console.live.models import EventRow
from console.session.vocab import Space
from tests.bridge.conftest import NEW, open_meetup
from tests.conftest import Staff, make_server, new_participant, seed, wait_for

SPEED = 2600.0  # 13:45–17:00 in 4.5 s


def expected(record, avatars: dict[str, int]) -> dict[str, int]:
    """The summary's figures as the simulator's own record says they must be."""
    seen: dict[str, set[int]] = {space: set() for space in Space}
    participants, reports = set(), 0
    for sent in record:
        assert sent.status == 200, sent
        pid = avatars[sent.avatar_id]
        if sent.kind == Kind.ENTERED_WORLD:
            participants.add(pid)
            seen[sent.space or Space.EXCHANGE].add(pid)
        elif sent.kind == Kind.ENTERED_SPACE:
            seen[sent.space].add(pid)
        elif sent.kind == Kind.REPORTED:
            reports += 1
    figures = {"参加人数(実人数)": len(participants), "利用規約違反の通報件数": reports}
    for space in (Space.EXCHANGE, Space.INFO, Space.REST):
        figures[f"{space.label} 利用者数(人)"] = len(seen[space])
    return figures


def summary(staff: Staff, meetup_id: int) -> dict[str, str]:
    answer = staff.take_out(f"/meetups/{meetup_id}/summary.csv", "照合")
    text = answer.content.decode("utf-8-sig")
    return {row[0]: row[1] for row in csv.reader(io.StringIO(text)) if len(row) >= 2}


def test_a_simulated_session_is_summarised_as_the_simulator_sent_it(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    prefix = f"s{uuid.uuid4().hex[:6]}-"
    avatars = {f"{prefix}{n:02d}": new_participant(engine, "模擬").id for n in range(1, 16)}
    links.link_avatars(engine, avatars)
    record = run(Platform(server.url, NEW, meetup_id), speed=SPEED, seed=19, prefix=prefix)
    assert len(record) > 15 * 2  # each arrives and leaves, and most wander
    closed = manager.command(meetup_id, "close", reason="模擬セッションの終了")
    assert closed.status_code == 200, closed.text
    figures, wanted = summary(manager, meetup_id), expected(record, avatars)
    assert wanted["参加人数(実人数)"] == 15 and wanted["利用規約違反の通報件数"] == 2
    for label, value in wanted.items():
        assert figures[label] == str(value), (label, figures.get(label), value)


def test_a_console_killed_mid_burst_loses_nothing_and_doubles_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    engine, running = seed(url)
    server = make_server(url, tmp_path, PLATFORM_WEBHOOK_SECRETS=NEW).start()
    try:
        avatars = {f"k-{n:02d}": new_participant(engine, "再送").id for n in range(1, 16)}
        links.link_avatars(engine, avatars)
        platform = Platform(server.url, NEW, running.id)
        player = threading.Thread(
            target=run, args=(platform,), kwargs={"speed": 1200.0, "seed": 5, "prefix": "k-"}
        )
        player.start()
        wait_for(lambda: len(platform.record) >= 20)
        server.stop(signal.SIGKILL)
        server.start()
        player.join()
        record = platform.record
        assert all(sent.status == 200 for sent in record), [s for s in record if s.status != 200]
        with Session(engine) as db:
            ids = db.exec(
                select(EventRow.command_id).where(
                    EventRow.meetup_id == running.id, col(EventRow.command_id).like("platform:%")
                )
            ).all()
        assert sorted(ids) == sorted(f"platform:{sent.event_id}" for sent in record)
    finally:
        server.stop()
        engine.dispose()
