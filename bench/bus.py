"""The bus on PostgreSQL, measured rather than assumed: how many events a second the event log
appends with its `pg_notify` (`eventlog.append_many`: the meetup's row lock, an INSERT per
event, one `last_seq` write and one notification per transaction, the commit), and how many
notifications a listening worker (`live.bus.listen`'s LISTEN) receives meanwhile.

Cases: one writer on one meetup (the live session: every command of a meetup is serialised by
its row lock), and four writers on four meetups (four connections in parallel); one command a
transaction, and 16 (a batch, as `live.commands.write` makes when commands queue).

    python bench/bus.py                  # 10 s a case, on the console_bench database
    python bench/bus.py --seconds 5 --json var/bench/bus.json
"""

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.measure import machine  # noqa: E402
from bench.servers import POSTGRES_URL, empty_postgres  # noqa: E402
from console.live import bus, eventlog  # noqa: E402
from console.live.fold import apply  # noqa: E402
from console.session import events as ev  # noqa: E402
from console.store.db import libpq_dsn  # noqa: E402
from tests.conftest import new_meetup, seed  # noqa: E402

CASES = [(1, 1), (1, 16), (4, 1), (4, 16)]  # (writers, commands a transaction)


def note(_db, _state):
    return ev.StaffNotePosted(text="ベンチマーク")


def writer(engine, meetup_id: int, batch: int, until: float) -> tuple[int, int]:
    """Append batches of notes to one meetup until `until`: (transactions, events)."""
    state = eventlog.replay(engine, meetup_id)
    commits = events = 0
    while time.perf_counter() < until:
        requests = [eventlog.Request(uuid.uuid4().hex, "f", None, note) for _ in range(batch)]
        outcomes = eventlog.append_many(engine, meetup_id=meetup_id, requests=requests, state=state)
        for outcome in outcomes:
            state = apply(state, outcome.event)
        commits += 1
        events += len(outcomes)
    return commits, events


async def case(engine, writers: int, batch: int, seconds: float) -> dict:
    meetups = [new_meetup(engine) for _ in range(writers)]
    received = 0
    async with await psycopg.AsyncConnection.connect(
        libpq_dsn(engine), autocommit=True
    ) as listener:
        await listener.execute(f"LISTEN {bus.CHANNEL}")

        async def count() -> None:
            nonlocal received
            async for _ in listener.notifies():
                received += 1

        counting = asyncio.create_task(count())
        began = time.perf_counter()
        results = await asyncio.gather(
            *(asyncio.to_thread(writer, engine, m, batch, began + seconds) for m in meetups)
        )
        elapsed = time.perf_counter() - began
        commits, events = (sum(column) for column in zip(*results, strict=True))
        for _ in range(50):  # the last notifications on their way: at most 5 s
            if received >= commits:
                break
            await asyncio.sleep(0.1)
        counting.cancel()
    out = {
        "writers": writers,
        "batch": batch,
        "commits_per_s": round(commits / elapsed),
        "events_per_s": round(events / elapsed),
        "notifications_received": received,
        "notifications_sent": commits,
    }
    print(
        f"  {writers} writer(s), {batch:>2} a transaction: {out['commits_per_s']:>6} commits/s, "
        f"{out['events_per_s']:>6} events/s; notifications received {received} of {commits}",
        flush=True,
    )
    return out


async def main(seconds: float, path: str | None) -> None:
    engine, _meetup = seed(empty_postgres(POSTGRES_URL))
    results = {"machine": machine(), "cases": []}
    print(f"bus: {os.cpu_count()} cores, load average {results['machine']['load_average']}")
    for writers, batch in CASES:
        results["cases"].append(await case(engine, writers, batch, seconds))
    engine.dispose()
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.json))
