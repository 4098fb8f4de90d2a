"""Fan-out latency: staff commands over HTTP → their frame on every dashboard's websocket.

Starts the real server (uvicorn, SQLite WAL, synchronous=FULL) on a temporary database,
connects N authenticated dashboards spread over the five roles, sends commands at a fixed
rate through the same HTTP path the browser uses, and prints p50/p99/max latency from
sending a command to its frame arriving at each dashboard, deliveries per second, and lost
or duplicated deliveries. A first step towards issue 7's full runner.

    python bench/fanout.py --dashboards 12 --rate 5 --seconds 20
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import Staff, make_server, seed  # noqa: E402
from tests.live_client import EVENT, LiveClient, page_seq  # noqa: E402

ROLES = ["manager", "facilitator", "counsellor1", "support", "ward"]


async def main(dashboards: int, rate: float, seconds: float) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="console-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    _engine, meetup = seed(url)
    server = make_server(url, tmp).start()
    try:
        logins = {role: Staff(server, role) for role in ROLES}
        actor = logins["manager"]
        start_seq = page_seq(actor.http.get(f"/meetups/{meetup.id}").text)
        clients = []
        for i in range(dashboards):
            staff = logins[ROLES[i % len(ROLES)]]
            clients.append(
                await LiveClient(server.ws_url, meetup.id, staff.ws_headers()).connect(start_seq)
            )
        arrivals: dict[int, list[float]] = {}
        counts: dict[tuple[int, int], int] = {}

        async def listen(index: int, client: LiveClient) -> None:
            async for frame in client.ws:
                now = time.perf_counter()
                for seq in map(int, EVENT.findall(frame)):
                    arrivals.setdefault(seq, []).append(now)
                    counts[(index, seq)] = counts.get((index, seq), 0) + 1

        listeners = [asyncio.create_task(listen(i, c)) for i, c in enumerate(clients)]
        sent: dict[int, float] = {}
        loop = asyncio.get_running_loop()
        total = int(rate * seconds)
        began = time.perf_counter()
        for n in range(total):
            target = began + n / rate
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            t0 = time.perf_counter()
            response = await loop.run_in_executor(
                None,
                lambda n=n: actor.command(
                    meetup.id, "note", command_id=uuid.uuid4().hex, text=f"bench {n}"
                ),
            )
            sent[int(response.headers["x-event-seq"])] = t0
        await asyncio.sleep(2.0)
        elapsed = time.perf_counter() - began
        for task in listeners:
            task.cancel()
        # Every dashboard sees every note's seq except the ward (notes are staff-only, but the
        # ward still gets the frame's seq marker, not a timeline entry): count staff dashboards.
        staff_clients = [i for i in range(dashboards) if ROLES[i % len(ROLES)] != "ward"]
        latencies = [
            (t - sent[seq]) * 1000 for seq, times in arrivals.items() if seq in sent for t in times
        ]
        expected = len(sent) * len(staff_clients)
        delivered = sum(1 for (i, seq) in counts if seq in sent and i in staff_clients)
        duplicated = sum(c - 1 for c in counts.values() if c > 1)
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
        print(
            f"dashboards={dashboards} (staff {len(staff_clients)}) commands={len(sent)} "
            f"rate={rate}/s elapsed={elapsed:.1f}s"
        )
        print(
            f"latency ms: p50={statistics.median(latencies):.1f} p99={p99:.1f} "
            f"max={max(latencies):.1f}"
        )
        print(
            f"deliveries={delivered}/{expected} ({delivered / elapsed:.0f}/s) "
            f"lost={expected - delivered} duplicated={duplicated}"
        )
        for client in clients:
            await client.close()
        return 0 if delivered == expected and duplicated == 0 else 1
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dashboards", type=int, default=12)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.dashboards, args.rate, args.seconds)))
