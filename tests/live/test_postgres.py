"""Many workers on PostgreSQL: an event committed by one process reaches sockets on another."""

import pytest
from sqlmodel import Session, select

from console.live.models import EventRow
from console.store.db import make_engine
from tests.conftest import PG_URL, Staff, empty_postgres, make_server, seed
from tests.live_client import LiveClient, page_seq

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_servers(tmp_path):
    empty_postgres().dispose()
    _engine, meetup = seed(PG_URL)
    _engine.dispose()
    servers = [make_server(PG_URL, tmp_path).start() for _ in range(2)]
    yield servers, meetup
    for srv in servers:
        srv.stop()


async def test_event_from_one_worker_reaches_a_socket_on_another(pg_servers):
    (a, b), meetup = pg_servers
    on_a, on_b = Staff(a, "facilitator"), Staff(b, "manager")
    seq = page_seq(on_a.http.get(f"/meetups/{meetup.id}").text)
    client = await LiveClient(a.ws_url, meetup.id, on_a.ws_headers()).connect(seq)
    for i in range(10):
        response = on_b.command(meetup.id, "note", text=f"別プロセスから{i}")
        assert response.status_code == 200
    await client.until_seq(seq + 10)
    await client.quiet(0.3)
    assert client.event_seqs == list(range(seq + 1, seq + 11))
    assert "別プロセスから9" in "".join(client.frames)
    # Worker A's own live state caught up too: its next command continues the sequence.
    response = on_a.command(meetup.id, "note", text="こちらから")
    assert int(response.headers["x-event-seq"]) == seq + 11
    await client.until_seq(seq + 11)
    await client.close()


async def test_commands_racing_on_two_workers_stay_gap_free_and_valid(pg_servers):
    import asyncio

    (a, b), meetup = pg_servers
    on_a, on_b = Staff(a, "support"), Staff(b, "counsellor1")
    seq = page_seq(on_a.http.get(f"/meetups/{meetup.id}").text)

    # Both workers try to let the same absent participants in: only one entry each may win.
    def enter_all(staff: Staff):
        return [
            staff.command(meetup.id, "enter", participant_code=f"P{n:03d}", space="exchange")
            for n in range(13, 16)
        ]

    results = await asyncio.gather(
        asyncio.to_thread(enter_all, on_a), asyncio.to_thread(enter_all, on_b)
    )
    statuses = sorted(r.status_code for batch in results for r in batch)
    assert statuses == [200, 200, 200, 422, 422, 422]
    engine = make_engine(PG_URL)
    with Session(engine) as db:
        seqs = list(
            db.exec(
                select(EventRow.seq).where(EventRow.meetup_id == meetup.id).order_by(EventRow.seq)
            )
        )
    engine.dispose()
    assert seqs == list(range(1, seq + 4))
