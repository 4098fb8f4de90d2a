"""Benchmarks (issue 7): fan-out latency and throughput against bare `websockets`, a resume
storm, and reports over a long history. Speed is measured here, never asserted in tests.

Each scenario starts the real server (uvicorn, SQLite WAL with synchronous=FULL: every event is
durable before it is broadcast) in a subprocess on a fresh database, connects real
authenticated websocket dashboards spread over the five audiences, and drives real staff
commands through the HTTP path the browser uses. Latency is from sending a command to its
frame (recognised by its `#live-seq` marker) arriving at each dashboard.

    python bench/run.py                  # every scenario
    python bench/run.py session scale    # some of them
    python bench/run.py --json var/bench/results.json

Exit status 1 if any delivery was lost or duplicated.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import Staff, free_port, make_server, seed  # noqa: E402
from tests.live_client import page_seq  # noqa: E402

ROLES = ["manager", "facilitator", "counsellor1", "support", "ward"]  # the five audiences
SEQ = re.compile(rb'id="live-seq" data-seq="(\d+)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- measuring ---------------------------------------------------------------------------------


def process_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds used so far, resident set size in bytes) of a process, from /proc."""
    fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields_[11]) + int(fields_[12])) / CLK_TCK
    rss = next(
        int(line.split()[1]) * 1024
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return cpu, rss


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


@dataclass
class Dashboard:
    """One websocket; records (seq, arrival time) for every frame's `#live-seq` marker."""

    ws: object
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    received_bytes: int = 0
    frames: int = 0
    closed_code: int | None = None
    task: asyncio.Task | None = None

    def start(self) -> "Dashboard":
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        clock = time.perf_counter
        try:
            while True:
                data = await self.ws.recv(decode=False)  # bytes: the client need not decode
                now = clock()
                self.received_bytes += len(data)
                self.frames += 1
                for match in SEQ.finditer(data):
                    self.arrivals.append((int(match.group(1)), now))
        except websockets.ConnectionClosed as closed:
            self.closed_code = closed.code
        else:
            self.closed_code = self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()
        if self.task:
            await asyncio.gather(self.task, return_exceptions=True)


@dataclass
class Result:
    """Deliveries of a set of sent seqs to a set of dashboards."""

    sent: int
    dashboards: int
    delivered: int
    lost: int
    duplicated: int
    latencies_ms: list[float]
    seconds: float

    def summary(self) -> dict:
        lat = self.latencies_ms
        return {
            "commands": self.sent,
            "dashboards": self.dashboards,
            "deliveries": self.delivered,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "p50_ms": round(percentile(lat, 50), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(max(lat), 2) if lat else None,
            "deliveries_per_s": round(self.delivered / self.seconds, 1) if self.seconds else 0,
        }


def tally(dashboards: list[Dashboard], sent: dict[int, float], seconds: float) -> Result:
    latencies, delivered, lost, duplicated = [], 0, 0, 0
    for dash in dashboards:
        seen: dict[int, int] = {}
        for seq, at in dash.arrivals:
            if seq in sent:
                seen[seq] = seen.get(seq, 0) + 1
                if seen[seq] == 1:
                    latencies.append((at - sent[seq]) * 1000)
        delivered += len(seen)
        lost += len(sent) - len(seen)
        duplicated += sum(n - 1 for n in seen.values())
    return Result(len(sent), len(dashboards), delivered, lost, duplicated, latencies, seconds)


async def paced(rate: float, seconds: float, send) -> float:
    """Call `send(n)` (a coroutine) `rate` times a second for `seconds`, open loop: a slow
    answer does not delay the next command. Returns the elapsed time including the drain."""
    total = int(rate * seconds)
    began = time.perf_counter()
    tasks = []
    for n in range(total):
        delay = began + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - began


async def settle(dashboards: list[Dashboard], last_seq: int, timeout: float) -> None:
    """Wait until every open dashboard has seen `last_seq` (or the timeout)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if all(
            d.closed_code is not None or (d.arrivals and d.arrivals[-1][0] >= last_seq)
            for d in dashboards
        ):
            return
        await asyncio.sleep(0.05)


# --- the console under test --------------------------------------------------------------------


class Console:
    """The real server on a fresh seeded database, with one login per audience."""

    def __init__(self, **env: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="console-bench-"))
        url = f"sqlite:///{self.tmp / 'bench.db'}"
        _engine, meetup = seed(url)
        self.meetup_id = meetup.id
        self.server = make_server(url, self.tmp, LOGIN_FREE_FAILURES="1000", **env).start()
        self.logins = {role: Staff(self.server, role) for role in ROLES}
        manager = self.logins["manager"]
        self.http = httpx.AsyncClient(
            base_url=self.server.url,
            cookies={"console_session": manager.http.cookies["console_session"]},
            headers={"X-CSRF-Token": manager.csrf, "HX-Request": "true"},
            timeout=30,
            limits=httpx.Limits(max_connections=32),
        )

    @property
    def pid(self) -> int:
        return self.server.process.pid

    def seq(self) -> int:
        return page_seq(self.logins["manager"].http.get(f"/meetups/{self.meetup_id}").text)

    async def dashboards(self, count: int, resume: int, wave: int = 50) -> list[Dashboard]:
        """`count` dashboards resuming from `resume`, opened `wave` at a time."""
        url = f"{self.server.ws_url}/live/{self.meetup_id}"

        async def one(i: int) -> Dashboard:
            staff = self.logins[ROLES[i % len(ROLES)]]
            ws = await websockets.connect(
                url, additional_headers=staff.ws_headers(), max_size=None, open_timeout=60
            )
            await ws.send(json.dumps({"resume": resume}))
            return Dashboard(ws).start()

        opened = []
        for start in range(0, count, wave):
            opened += await asyncio.gather(
                *(one(i) for i in range(start, min(count, start + wave)))
            )
        return opened

    async def note(self, n: int, sent: dict[int, float]) -> None:
        t0 = time.perf_counter()
        response = await self.http.post(
            f"/meetups/{self.meetup_id}/commands/note",
            data={"command_id": uuid.uuid4().hex, "text": f"ベンチマーク {n}"},
        )
        if response.status_code == 200:
            sent[int(response.headers["x-event-seq"])] = t0

    async def close(self) -> None:
        await self.http.aclose()
        self.server.stop()


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
        self.seq = 0

    @property
    def pid(self) -> int:
        return self.process.pid

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
            opened += [Dashboard(ws).start() for ws in sockets]
        self.control = await websockets.connect(f"ws://127.0.0.1:{self.port}/publish")
        return opened

    async def publish(self, size: int, sent: dict[int, float]) -> None:
        self.seq += 1
        sent[self.seq] = time.perf_counter()
        await self.control.send(f"{self.seq} {size}")

    async def close(self) -> None:
        if self.control:
            await self.control.close()
        self.process.terminate()
        self.process.wait()


async def run_console(
    console: Console, dashboards: list[Dashboard], rate: float, seconds: float
) -> Result:
    sent: dict[int, float] = {}
    for d in dashboards:
        d.arrivals.clear()
    elapsed = await paced(rate, seconds, lambda n: console.note(n, sent))
    if sent:
        await settle(dashboards, max(sent), timeout=60)
    return tally(dashboards, sent, elapsed)


async def run_bare(
    bare: Bare, dashboards: list[Dashboard], rate: float, seconds: float, size: int
) -> Result:
    sent: dict[int, float] = {}
    for d in dashboards:
        d.arrivals.clear()

    async def send(_n: int) -> None:
        await bare.publish(size, sent)

    elapsed = await paced(rate, seconds, send)
    if sent:
        await settle(dashboards, max(sent), timeout=60)
    return tally(dashboards, sent, elapsed)


def frame_size(dashboards: list[Dashboard]) -> int:
    frames = sum(d.frames for d in dashboards)
    return round(sum(d.received_bytes for d in dashboards) / frames) if frames else 1000


def line(name: str, summary: dict) -> str:
    return (
        f"  {name:<28} p50 {summary['p50_ms']:>8.1f} ms  p99 {summary['p99_ms']:>8.1f} ms  "
        f"max {summary['max_ms'] or 0:>8.1f} ms  {summary['deliveries_per_s']:>9.0f} deliveries/s  "
        f"lost {summary['lost']}  dup {summary['duplicated']}"
    )


# --- scenarios ---------------------------------------------------------------------------------


async def fanout(
    dashboards: int, rate: float, seconds: float, ramp: list[float], bare_ramp: list[float]
) -> dict:
    """Our server then the bare anchor, each at `rate` and then ramped to find the rate where
    p99 passes 100 ms (the ceiling)."""
    out: dict = {"dashboards": dashboards, "rate": rate, "seconds": seconds}
    console = Console()
    try:
        cpu0, rss0 = process_stats(console.pid)
        dash = await console.dashboards(dashboards, console.seq())
        await asyncio.sleep(2)
        cpu1, rss1 = process_stats(console.pid)
        out["server_rss_idle_mb"] = round(rss0 / 2**20, 1)
        out["server_rss_per_idle_dashboard_kb"] = round((rss1 - rss0) / dashboards / 1024, 1)
        result = await run_console(console, dash, rate, seconds)
        cpu2, rss2 = process_stats(console.pid)
        out["console"] = result.summary() | {"rate": rate}
        out["console"]["server_cpu_percent"] = round((cpu2 - cpu1) / result.seconds * 100, 1)
        out["console"]["server_rss_mb"] = round(rss2 / 2**20, 1)
        out["frame_bytes"] = frame_size(dash)
        print(line(f"console @ {rate:g}/s", out["console"]))
        out["console_ramp"] = await ramp_steps(
            lambda r: run_console(console, dash, r, 5), out["console"], ramp, "console"
        )
        out["closed_by_server"] = sum(1 for d in dash if d.closed_code is not None)
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await console.close()
    bare = Bare()
    try:
        dash = await bare.dashboards(dashboards)
        await asyncio.sleep(1)
        result = await run_bare(bare, dash, rate, min(seconds, 20), out["frame_bytes"])
        out["bare"] = result.summary() | {"rate": rate}
        print(line(f"bare websockets @ {rate:g}/s", out["bare"]))
        out["bare_ramp"] = await ramp_steps(
            lambda r: run_bare(bare, dash, r, 5, out["frame_bytes"]), out["bare"], bare_ramp, "bare"
        )
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await bare.close()
    out["ratio_at_rate"] = _ratio(out["console"], out["bare"])
    ours, theirs = (
        _ceiling(out["console_ramp"], out["console"]),
        _ceiling(out["bare_ramp"], out["bare"]),
    )
    out["ceiling_deliveries_per_s"] = {"console": ours, "bare": theirs}
    out["ceiling_ratio"] = round(ours / theirs, 3) if theirs else None
    print(
        f"  ceiling (p99 ≤ 100 ms, nothing lost): console {ours:.0f}/s, bare {theirs:.0f}/s, "
        f"ratio {out['ceiling_ratio']}"
    )
    return out


def _ok(summary: dict) -> bool:
    return summary["p99_ms"] <= 100 and not summary["lost"]


async def ramp_steps(run, base: dict, rates: list[float], name: str) -> list[dict]:
    """Step the rate up from the base rate while p99 stays within 100 ms (and nothing is lost);
    if the base rate already fails, step down until a rate passes. Then halve the interval
    between the last passing and the first failing rate twice. Returns every step measured."""
    if not rates:
        return []
    steps = []

    async def step(rate: float) -> bool:
        stepped = (await run(rate)).summary() | {"rate": rate}
        steps.append(stepped)
        print(line(f"{name} ramp @ {rate:g}/s", stepped), flush=True)
        return _ok(stepped)

    going_up = _ok(base)
    passing = failing = None
    if going_up:
        passing = base["rate"]
        order = [r for r in rates if r > base["rate"]]
    else:
        failing = base["rate"]
        order = sorted((r for r in rates if r < base["rate"]), reverse=True)
    for rate in order:
        if await step(rate):
            passing = rate
            if not going_up:
                break
        else:
            failing = rate
            if going_up:
                break
    for _ in range(2):
        if passing is None or failing is None:
            break
        middle = round((passing + failing) / 2)
        if middle in (passing, failing):
            break
        if await step(middle):
            passing = middle
        else:
            failing = middle
    return steps


def _ratio(ours: dict, theirs: dict) -> float | None:
    return (
        round(ours["deliveries_per_s"] / theirs["deliveries_per_s"], 3)
        if theirs["deliveries_per_s"]
        else None
    )


def _ceiling(ramp: list[dict], base: dict) -> float:
    good = [s for s in [base, *ramp] if _ok(s)]
    return max((s["deliveries_per_s"] for s in good), default=0.0)


async def session(args) -> dict:
    """A real team: 12 dashboards, 5 commands/s for 60 s."""
    return await fanout(12, 5, args.seconds or 60, ramp=[], bare_ramp=[])


async def scale(args) -> dict:
    """500 dashboards at 50 commands/s, then ramps for both servers."""
    return await fanout(
        500,
        50,
        args.seconds or 10,
        ramp=[5, 10, 20, 30, 40, 75, 100, 150, 200, 300],
        bare_ramp=[5, 10, 20, 30, 40, 100, 200, 400, 800, 1600],
    )


async def resume(args) -> dict:
    """500 dashboards drop while 1,000 events are appended, then all reconnect at once."""
    count, events = 500, 1000
    console = Console(LIVE_REPLAY_LIMIT=str(events))  # so the 1,000 are replayed one by one
    out: dict = {"dashboards": count, "events": events}
    try:
        start = console.seq()
        dash = await console.dashboards(count, start)
        await settle(dash, start, timeout=30)
        await asyncio.gather(*(d.close() for d in dash))
        sent: dict[int, float] = {}
        t0 = time.perf_counter()
        for batch in range(0, events, 16):
            await asyncio.gather(
                *(console.note(n, sent) for n in range(batch, min(events, batch + 16)))
            )
        out["append_seconds"] = round(time.perf_counter() - t0, 2)
        last = max(sent)
        began = time.perf_counter()
        dash = await console.dashboards(count, start, wave=count)  # all at once
        await settle(dash, last, timeout=120)
        caught = [next((at for seq, at in d.arrivals if seq >= last), None) for d in dash]
        done = [at - began for at in caught if at is not None]
        missing = duplicated = 0
        expected = set(range(start + 1, last + 1))
        for d in dash:
            seqs = [seq for seq, _ in d.arrivals if seq > start]
            duplicated += len(seqs) - len(set(seqs))
            missing += len(expected - set(seqs))
        out.update(
            {
                "caught_up": len(done),
                "all_caught_up_seconds": round(max(done), 2) if done else None,
                "p50_caught_up_seconds": round(statistics.median(done), 2) if done else None,
                "missing": missing,
                "duplicated": duplicated,
                "lost": missing,
            }
        )
        print(
            f"  {len(done)}/{count} caught up; all within {out['all_caught_up_seconds']} s "
            f"(median {out['p50_caught_up_seconds']} s); missing {missing}, duplicated {duplicated}"
            f"; appending {events} events took {out['append_seconds']} s"
        )
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await console.close()
    return out


async def report(args) -> dict:
    """Reports over a synthetic history (see bench/history.py)."""
    from bench import history

    return await asyncio.to_thread(
        history.measure, args.sessions, args.participants, args.events_per_session
    )


SCENARIOS = {"session": session, "scale": scale, "resume": resume, "report": report}


async def main(args) -> int:
    results: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    failed = False
    for name in args.scenarios or list(SCENARIOS):
        print(f"{name}: {SCENARIOS[name].__doc__.splitlines()[0]}", flush=True)
        began = time.perf_counter()
        out = await SCENARIOS[name](args)
        out["scenario_seconds"] = round(time.perf_counter() - began, 1)
        print(f"  ({out['scenario_seconds']} s)", flush=True)
        results[name] = out
        for part in (out, out.get("console", {})):
            failed |= bool(part.get("lost") or part.get("duplicated"))
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"results: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)} (default: all)"
    )
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "results.json"))
    parser.add_argument("--seconds", type=float, help="override the steady phase's length")
    parser.add_argument("--sessions", type=int, default=800)
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--events-per-session", type=int, default=5000)
    arguments = parser.parse_args()
    if unknown := set(arguments.scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario: {', '.join(sorted(unknown))}")
    sys.exit(asyncio.run(main(arguments)))
