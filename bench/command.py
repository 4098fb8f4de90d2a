"""One command's latency on an idle server: a staff note over HTTP, sent one after another.

Latency on a shared machine is noisy; the server's CPU time per command (from /proc) is the
steadier figure for comparing two versions. This is the write path alone (login lookup, CSRF, parse, the append transaction with its
fsync, publishing to no dashboard, the answer), measured from the client. Optionally the
server is profiled meanwhile with py-spy (`--profile out.txt`, if py-spy is installed).

    python bench/command.py                  # 300 notes after 30 to warm up
    python bench/command.py --count 1000 --profile var/bench/command.txt
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import percentile, process_stats  # noqa: E402
from bench.servers import POSTGRES_URL, Console, empty_postgres  # noqa: E402


async def measure(count: int, warm: int, profile: str | None, postgres: bool = False) -> dict:
    console = Console(database_url=empty_postgres(POSTGRES_URL) if postgres else None)
    spy = None
    try:
        url = f"/meetups/{console.meetup_id}/commands/note"

        async def one(n: int) -> float:
            t0 = time.perf_counter()
            status, _, answer = await console.posters[0].post(
                url, {"command_id": uuid.uuid4().hex, "text": f"ベンチマーク {n}"}
            )
            assert status == 200, answer.decode()
            return (time.perf_counter() - t0) * 1000

        for n in range(warm):
            await one(n)
        if profile and shutil.which("py-spy"):
            spy = subprocess.Popen(
                ["py-spy", "record", "-f", "raw", "-r", "500", "--threads", "-o", profile]
                + ["-p", str(console.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(1)
        load = os.getloadavg()[0]
        cpu0, _ = process_stats(console.pid)
        times = [await one(n) for n in range(count)]
        cpu1, _ = process_stats(console.pid)
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait()
        await console.close()
    return {
        "commands": count,
        "p50_ms": round(percentile(times, 50), 2),
        "p90_ms": round(percentile(times, 90), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "server_cpu_ms_per_command": round((cpu1 - cpu0) / count * 1000, 2),
        "load_average_1m": round(load, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--profile", help="py-spy raw output for the measured part")
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL (console_bench)")
    args = parser.parse_args()
    print(asyncio.run(measure(args.count, args.warm, args.profile, args.postgres)))
