"""The servers under test: the console (one process on SQLite, or several on PostgreSQL), and
the bare `websockets` anchor (bench/bare_server.py). Both offer the same steps to the
scenarios: open dashboards, send one message, wait for a clean state."""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import websockets
from sqlalchemy import create_engine, text

from bench.measure import Dashboard, paced, process_stats, quiet_collector, settle, tally
from bench.poster import Poster
from tests.conftest import Staff, free_port, make_server, seed
from tests.live_client import page_seq

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["manager", "facilitator", "counsellor1", "support", "ward"]  # the five audiences
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/console_bench"
)


def empty_postgres(url: str) -> str:
    """The benchmark's own PostgreSQL database (created if missing), emptied. Never the
    tests' database: other test runs drop and recreate that one's schema."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(
        url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


class Console:
    """The real server on a fresh seeded database, with one login per audience. With
    `workers` > 1 (PostgreSQL), that many server processes share the database; dashboards
    and commands are spread over them in turn."""

    def __init__(self, *, database_url: str | None = None, workers: int = 1, **env: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="console-bench-"))
        url = database_url or f"sqlite:///{self.tmp / 'bench.db'}"
        self.database_url = url
        engine, meetup = seed(url)
        engine.dispose()
        self.meetup_id = meetup.id
        self.servers = [
            make_server(url, self.tmp, LOGIN_FREE_FAILURES="1000", **env).start()
            for _ in range(workers)
        ]
        self.server = self.servers[0]
        self.logins = {role: Staff(self.server, role) for role in ROLES}
        manager = self.logins["manager"]
        headers = {
            "Cookie": f"console_session={manager.http.cookies['console_session']}",
            "X-CSRF-Token": manager.csrf,
            "HX-Request": "true",
        }
        self.posters = [Poster(srv.url, headers) for srv in self.servers]
        self.last_sent = 0

    @property
    def pids(self) -> list[int]:
        return [srv.process.pid for srv in self.servers]

    @property
    def pid(self) -> int:
        return self.pids[0]

    def stats(self) -> tuple[float, int]:
        """CPU seconds and RSS bytes of all the server processes together."""
        each = [process_stats(pid) for pid in self.pids]
        return sum(c for c, _ in each), sum(r for _, r in each)

    def seq(self) -> int:
        return page_seq(self.logins["manager"].http.get(f"/meetups/{self.meetup_id}").text)

    async def _open(self, i: int, resume: int) -> Dashboard:
        srv = self.servers[i % len(self.servers)]
        staff = self.logins[ROLES[i % len(ROLES)]]
        ws = await websockets.connect(
            f"{srv.ws_url}/live/{self.meetup_id}",
            additional_headers={"Cookie": staff.cookie, "Origin": srv.url},
            max_size=None,
            open_timeout=60,
        )
        await ws.send(json.dumps({"resume": resume}))
        return Dashboard(ws, index=i).start()

    async def dashboards(self, count: int, resume: int, wave: int = 50) -> list[Dashboard]:
        """`count` dashboards resuming from `resume`, opened `wave` at a time."""
        opened = []
        for start in range(0, count, wave):
            opened += await asyncio.gather(
                *(self._open(i, resume) for i in range(start, min(count, start + wave)))
            )
        return opened

    async def reopen(self, dashboards: list[Dashboard]) -> int:
        """Replace every dashboard the server closed (it fell behind: 1013) by a fresh one, as
        the browser would reconnect. Returns how many."""
        closed = [n for n, d in enumerate(dashboards) if d.closed_code is not None]
        for n in closed:
            dashboards[n] = await self._open(dashboards[n].index, self.last_sent)
        return len(closed)

    async def send(self, n: int, sent: dict[int, float]) -> None:
        """One staff note, through the worker whose turn it is."""
        t0 = time.perf_counter()
        status, headers, _ = await self.posters[n % len(self.posters)].post(
            f"/meetups/{self.meetup_id}/commands/note",
            {"command_id": uuid.uuid4().hex, "text": f"ベンチマーク {n}"},
        )
        if status == 200:
            seq = int(headers["x-event-seq"])
            sent[seq] = t0
            self.last_sent = max(self.last_sent, seq)

    note = send

    async def close(self) -> None:
        for poster in self.posters:
            await poster.close()
        for srv in self.servers:
            srv.stop()


class Bare:
    """The anchor: bench/bare_server.py in a subprocess."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "bare_server.py"), str(self.port)],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout.readline().strip() == b"ready"
        self.control = None
        self.last_sent = 0
        self.size = 1000

    @property
    def pids(self) -> list[int]:
        return [self.process.pid]

    def stats(self) -> tuple[float, int]:
        return process_stats(self.process.pid)

    async def dashboards(self, count: int) -> list[Dashboard]:
        url = f"ws://127.0.0.1:{self.port}/"
        opened = []
        for start in range(0, count, 50):
            sockets = await asyncio.gather(
                *(
                    websockets.connect(url, max_size=None, open_timeout=60)
                    for _ in range(start, min(count, start + 50))
                )
            )
            opened += [Dashboard(ws, index=start + k).start() for k, ws in enumerate(sockets)]
        self.control = await websockets.connect(f"ws://127.0.0.1:{self.port}/publish")
        return opened

    async def reopen(self, dashboards: list[Dashboard]) -> int:
        return 0  # the bare server never closes a socket

    async def send(self, _n: int, sent: dict[int, float]) -> None:
        self.last_sent += 1
        sent[self.last_sent] = time.perf_counter()
        await self.control.send(f"{self.last_sent} {self.size}")

    async def close(self) -> None:
        if self.control:
            await self.control.close()
        self.process.terminate()
        self.process.wait()


async def run_at(server, dashboards: list[Dashboard], rate: float, seconds: float):
    """`rate` messages a second for `seconds` (open loop) to all `dashboards`; the tally."""
    sent: dict[int, float] = {}
    for d in dashboards:
        d.arrivals.clear()
    with quiet_collector():  # until the last frame is in: its collection would delay them
        elapsed = await paced(rate, seconds, lambda n: server.send(n, sent))
        if sent:
            await settle(dashboards, max(sent), timeout=60)
    return tally(dashboards, sent, elapsed)


async def clean(server, dashboards: list[Dashboard], pause: float = 1.0) -> dict:
    """Back to a clean state before the next step: every dashboard has seen everything sent
    (or is replaced, if the server closed it), the server's CPU is idle again (its queues
    drained), then a pause. Returns what it took."""
    began = time.perf_counter()
    await settle(dashboards, server.last_sent, timeout=120)
    reopened = await server.reopen(dashboards)
    if reopened:
        await settle(dashboards, server.last_sent, timeout=120)
    for _ in range(60):  # at most 30 s
        cpu0, _ = server.stats()
        await asyncio.sleep(0.5)
        cpu1, _ = server.stats()
        if (cpu1 - cpu0) / 0.5 < 0.1:  # under 10 % of a core
            break
    await asyncio.sleep(pause)
    return {"reopened": reopened, "seconds": round(time.perf_counter() - began, 1)}
