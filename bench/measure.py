"""What the benchmark measures with: dashboards that timestamp every `#live-seq` they see,
tallies of deliveries against what was sent, open-loop pacing, and the server's CPU, memory
and the machine's load, read from /proc."""

import asyncio
import contextlib
import gc
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

SEQ = re.compile(rb'id="live-seq" data-seq="(\d+)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine() -> dict:
    """Core count and load average now: every figure is read against them."""
    return {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:"))


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
    index: int = 0  # which dashboard of the set (its audience and server)
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


@contextlib.contextmanager
def quiet_collector():
    """While measuring, the benchmark client's own cyclic garbage collector is off (and what
    it holds already frozen): a collection in the client (80-320 ms for a full one, 1-3 ms
    for a young one, measured) would pause the dashboards' clocks and be counted as the
    server's latency. The server's collector runs as always. Garbage is collected after, so
    the block must last until the last frame measured is in (`servers.run_at`)."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.collect()


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
    if last_seq <= 0:
        return  # nothing sent yet
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if all(
            d.closed_code is not None or (d.arrivals and d.arrivals[-1][0] >= last_seq)
            for d in dashboards
        ):
            return
        await asyncio.sleep(0.05)


def frame_size(dashboards: list[Dashboard]) -> int:
    frames = sum(d.frames for d in dashboards)
    return round(sum(d.received_bytes for d in dashboards) / frames) if frames else 1000


def line(name: str, summary: dict) -> str:
    return (
        f"  {name:<28} p50 {summary['p50_ms']:>8.1f} ms  p99 {summary['p99_ms']:>8.1f} ms  "
        f"max {summary['max_ms'] or 0:>8.1f} ms  {summary['deliveries_per_s']:>9.0f} deliveries/s  "
        f"lost {summary['lost']}  dup {summary['duplicated']}"
        + (
            f"  cpu server {summary['server_cpu_percent']:.0f} % client "
            f"{summary['client_cpu_percent']:.0f} %"
            if "client_cpu_percent" in summary
            else ""
        )
    )
