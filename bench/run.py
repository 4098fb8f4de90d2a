"""Benchmarks (issues 7 and 21): fan-out latency and throughput against bare `websockets`,
several workers on PostgreSQL, a platform burst, a soak with the platform simulator, a resume
storm, and reports over a long history. Speed is measured here, never asserted in tests.

Each scenario starts the real server (uvicorn, SQLite WAL with synchronous=FULL: every event is
durable before it is broadcast) in a subprocess on a fresh database, connects real
authenticated websocket dashboards spread over the five audiences, and drives real staff
commands through the HTTP path the browser uses (raw HTTP/1.1, bench/poster.py). Latency is from sending a command to its
frame (recognised by its `#live-seq` marker) arriving at each dashboard. Ceilings are searched
by bisection, every step from a clean state (bench/ramp.py). Each scenario runs `--repeat`
times (3) on fresh servers; the results give every run and the median, lowest and highest of
the headline figures, with the core count and load average when each scenario started.

    python bench/run.py --quick              # session and a small scale, a couple of minutes
    python bench/run.py                      # every scenario but soak, three times each
    python bench/run.py workers soak         # some of them (workers needs PostgreSQL)
    python bench/run.py --json var/bench/results.json

Exit status 1 if a delivery was duplicated, or lost where nothing may be lost.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import frame_size, line, machine, open_files, settle, threads  # noqa: E402
from bench.ramp import aggregate, ceiling, passes  # noqa: E402
from bench.servers import POSTGRES_URL, Bare, Console, clean, empty_postgres, run_at  # noqa: E402

# --- scenarios ---------------------------------------------------------------------------------


async def session(args) -> dict:
    """A real team: 12 dashboards, 5 commands/s (60 s), and the bare anchor likewise."""
    seconds, rate = args.seconds or (10 if args.quick else 60), 5
    out: dict = {"dashboards": 12, "rate": rate, "seconds": seconds}
    console = Console()
    try:
        dash = await console.dashboards(12, console.seq())
        await clean(console, dash)
        out["console"] = (await run_at(console, dash, rate, seconds)).summary()
        out["frame_bytes"] = frame_size(dash)
        print(line(f"console @ {rate}/s", out["console"]), flush=True)
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await console.close()
    bare = Bare()
    try:
        bare.size = out["frame_bytes"]
        dash = await bare.dashboards(12)
        await clean(bare, dash)
        out["bare"] = (await run_at(bare, dash, rate, seconds)).summary()
        print(line(f"bare @ {rate}/s", out["bare"]), flush=True)
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await bare.close()
    return out


def stepper(server, dash, seconds: float, commands: int = 40):
    """A ceiling step: clean state, then `rate` for `seconds` but at least `commands`
    messages (a p99 over a dozen commands is one slow command), with the server's CPU and the
    benchmark client's own (both share the machine's cores)."""

    async def step(rate: float) -> dict:
        cleaned = await clean(server, dash)
        cpu0, _ = server.stats()
        mine0, wall0 = time.process_time(), time.perf_counter()
        result = await run_at(server, dash, rate, max(seconds, min(commands / rate, 20)))
        cpu1, rss = server.stats()
        wall = time.perf_counter() - wall0  # sending, then until the last frame is in
        mine1 = time.process_time()
        return result.summary() | {
            "server_cpu_percent": round((cpu1 - cpu0) / wall * 100, 1),
            "client_cpu_percent": round((mine1 - mine0) / wall * 100, 1),
            "server_rss_mb": round(rss / 2**20, 1),
            "clean_before": cleaned,
            "load_average_1m": round(os.getloadavg()[0], 2),
        }

    return step


WARM = 20  # dashboards opened before memory is measured


async def scale(args) -> dict:
    """500 dashboards: the ceiling of the console and of the bare anchor, and idle memory."""
    count = 100 if args.quick else 500
    seconds = args.seconds or (3 if args.quick else 5)
    steps = 6 if args.quick else 10
    out: dict = {"dashboards": count, "step_seconds": seconds}
    console = Console()
    try:
        # Memory per idle dashboard is the growth from `count` more, after WARM first: what
        # the first ones cost once (the meetup folded, templates compiled, caches) is not
        # a dashboard's own.
        warm = await console.dashboards(WARM, console.seq())
        await clean(console, warm, pause=2)
        _, rss0 = console.stats()
        dash = await console.dashboards(count, console.seq())
        await clean(console, dash, pause=2)
        _, rss1 = console.stats()
        await asyncio.gather(*(d.close() for d in warm))
        out["server_rss_idle_mb"] = round(rss0 / 2**20, 1)
        out["server_rss_per_idle_dashboard_kb"] = round((rss1 - rss0) / count / 1024, 1)
        await run_at(console, dash, 2, 2)  # warm up: first renders, caches, connections
        out["console"] = await ceiling(
            stepper(console, dash, seconds), start=5, name="console", max_steps=steps
        )
        out["frame_bytes"] = frame_size(dash)
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await console.close()
    bare = Bare()
    try:
        bare.size = out["frame_bytes"]
        dash = await bare.dashboards(count)
        out["bare"] = await ceiling(
            stepper(bare, dash, seconds), start=20, name="bare", max_steps=steps
        )
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await bare.close()
    ours = out["console"]["ceiling_deliveries_per_s"]
    theirs = out["bare"]["ceiling_deliveries_per_s"]
    out["ceiling_ratio"] = round(ours / theirs, 3) if theirs else None
    print(f"  ceiling: console {ours:.0f}/s, bare {theirs:.0f}/s, ratio {out['ceiling_ratio']}")
    return out


async def workers(args) -> dict:
    """PostgreSQL: the ceiling of one server process and of two sharing the database, the
    dashboards split between them and commands sent to each in turn."""
    count = 100 if args.quick else 500
    seconds = args.seconds or (3 if args.quick else 5)
    out: dict = {"dashboards": count, "step_seconds": seconds}
    for n in (1, 2):
        console = Console(database_url=empty_postgres(POSTGRES_URL), workers=n)
        try:
            dash = await console.dashboards(count, console.seq())
            found = await ceiling(
                stepper(console, dash, seconds), start=5, name=f"{n} worker(s)", max_steps=8
            )
            out[f"workers_{n}"] = found
            await asyncio.gather(*(d.close() for d in dash))
        finally:
            await console.close()
    one, two = (out[f"workers_{n}"]["ceiling_deliveries_per_s"] for n in (1, 2))
    out["ratio_two_to_one"] = round(two / one, 3) if one else None
    out["lost_at_passing_steps"] = sum(
        s["lost"] for n in (1, 2) for s in out[f"workers_{n}"]["steps"] if passes(s)
    )
    print(f"  ceiling: 1 worker {one:.0f}/s, 2 workers {two:.0f}/s, ×{out['ratio_two_to_one']}")
    return out


async def soak(args) -> dict:
    """A 3-hour session compressed: the platform simulator plays 30 avatars at 12× (13:45 to
    17:00 in 16¼ minutes) while staff post 2 notes a second to 20 dashboards, for 15
    minutes. Minute by minute: p99 of the notes, server RSS, open files, threads."""
    import threading

    from bench.platform_burst import SECRET
    from console.bridge.simulator import Platform
    from console.bridge.simulator import run as simulate

    minutes = args.soak_minutes or (1 if args.quick else 15)
    console = Console(PLATFORM_WEBHOOK_SECRETS=SECRET)
    out: dict = {"dashboards": 20, "rate": 2, "simulator_speed": 12, "avatars": 30}
    out["minutes"] = []
    platform = Platform(console.server.url, SECRET, console.meetup_id)
    try:
        dash = await console.dashboards(20, console.seq())
        await clean(console, dash)
        threading.Thread(
            target=simulate,
            args=(platform,),
            kwargs={"avatars": 30, "speed": 12.0, "seed": 21, "prefix": "soak-"},
            daemon=True,
        ).start()
        for minute in range(minutes):
            summary = (await run_at(console, dash, 2, 60)).summary()
            _, rss = console.stats()
            summary |= {
                "rss_mb": round(rss / 2**20, 1),
                "open_files": open_files(console.pid),
                "threads": threads(console.pid),
                "platform_events": len(platform.record),
            }
            out["minutes"].append(summary)
            print(
                line(f"minute {minute + 1}", summary),
                f"rss {summary['rss_mb']} MB, {summary['open_files']} files, "
                f"{summary['threads']} threads, {summary['platform_events']} platform events",
                flush=True,
            )
        await asyncio.gather(*(d.close() for d in dash))
    finally:
        await console.close()
    first, last = out["minutes"][0], out["minutes"][-1]
    out["rss_growth_percent"] = round((last["rss_mb"] / first["rss_mb"] - 1) * 100, 1)
    out["open_files_first_last"] = [first["open_files"], last["open_files"]]
    out["threads_first_last"] = [first["threads"], last["threads"]]
    out["p99_first_last_ms"] = [first["p99_ms"], last["p99_ms"]]
    out["platform_refused"] = sum(1 for sent in platform.record if sent.status != 200)
    out["lost"] = sum(m["lost"] for m in out["minutes"])
    out["duplicated"] = sum(m["duplicated"] for m in out["minutes"])
    return out


async def burst(args) -> dict:
    """Platform burst: 200 presence events in 1 s to 20 dashboards (bench/platform_burst.py)."""
    from bench import platform_burst

    return await platform_burst.run(args, Console, clean)


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


SCENARIOS = {
    "session": session,
    "scale": scale,
    "workers": workers,
    "burst": burst,
    "soak": soak,
    "resume": resume,
    "report": report,
}
DEFAULT = ["session", "scale", "workers", "burst", "resume", "report"]  # soak: on request
QUICK = ["session", "scale"]
ONCE = {"soak", "report"}  # long, or medians of their own
HEADLINES = {
    "session": ["console.p50_ms", "console.p99_ms", "bare.p99_ms", "console.lost"],
    "scale": [
        "console.ceiling_deliveries_per_s",
        "bare.ceiling_deliveries_per_s",
        "ceiling_ratio",
        "server_rss_per_idle_dashboard_kb",
    ],
    "workers": [
        "workers_1.ceiling_deliveries_per_s",
        "workers_2.ceiling_deliveries_per_s",
        "ratio_two_to_one",
        "lost_at_passing_steps",
    ],
    "burst": ["p99_ms", "all_on_screen_seconds", "lost", "refused"],
    "resume": ["all_caught_up_seconds", "missing", "duplicated"],
}


def _leaves(value, key=None):
    """(key, value) of every scalar in nested dicts and lists."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, key)
    else:
        yield key, value


def failures(name: str, out: dict) -> bool:
    """Duplicates anywhere; losses where nothing may be lost (not in steps past a ceiling,
    where the server closes sockets that fall behind and browsers would resume)."""
    duplicated = any(n for key, n in _leaves(out) if key == "duplicated")
    lost = {
        "session": lambda o: o["console"]["lost"],
        "workers": lambda o: o["lost_at_passing_steps"],
        "soak": lambda o: o["lost"],
        "resume": lambda o: o["missing"],
    }.get(name, lambda o: 0)(out)
    return bool(duplicated or lost)


async def main(args) -> int:
    results: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "at_start": machine(),
        "quick": args.quick,
    }
    failed = False
    names = args.scenarios or (QUICK if args.quick else DEFAULT)
    for name in names:
        print(f"{name}: {SCENARIOS[name].__doc__.splitlines()[0]}", flush=True)
        repeat = 1 if name in ONCE else args.repeat
        runs = []
        for n in range(repeat):
            at_start = machine()
            print(f" run {n + 1}/{repeat}, load average {at_start['load_average']}", flush=True)
            began = time.perf_counter()
            out = await SCENARIOS[name](args)
            out["machine_at_start"] = at_start
            out["scenario_seconds"] = round(time.perf_counter() - began, 1)
            failed |= failures(name, out)
            runs.append(out)
        results[name] = {"runs": runs, "summary": aggregate(runs, HEADLINES.get(name, []))}
        for path, figures in results[name]["summary"].items():
            print(
                f"  {path}: median {figures['median']} (min {figures['min']}, max {figures['max']})"
            )
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"results: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)}")
    parser.add_argument("--quick", action="store_true", help="small and short, run once")
    parser.add_argument("--repeat", type=int, help="runs of each scenario (3; --quick: 1)")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "results.json"))
    parser.add_argument("--seconds", type=float, help="override the steady phase's length")
    parser.add_argument("--soak-minutes", type=int, help="soak length (15; --quick: 1)")
    parser.add_argument("--sessions", type=int, default=800)
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--events-per-session", type=int, default=5000)
    arguments = parser.parse_args()
    if arguments.repeat is None:
        arguments.repeat = 1 if arguments.quick else 3
    if unknown := set(arguments.scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario: {', '.join(sorted(unknown))}")
    sys.exit(asyncio.run(main(arguments)))
