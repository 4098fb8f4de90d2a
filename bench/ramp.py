"""Finding a ceiling, and reading repeated runs.

A ceiling is the highest rate whose step passes (p99 ≤ 100 ms, nothing lost). Every step
starts from a clean state (`servers.clean`: dashboards caught up, queues drained, a pause), so
no step inherits the previous step's backlog. The rate doubles from `start` until a step
fails (or halves until one passes), then the interval between the highest passing and the
lowest failing rate is bisected until it is within `tolerance` of the passing rate.
"""

import statistics
from collections.abc import Awaitable, Callable

from bench.measure import line

P99_LIMIT_MS = 100


def passes(summary: dict) -> bool:
    return summary["p99_ms"] <= P99_LIMIT_MS and not summary["lost"]


async def ceiling(
    step: Callable[[float], Awaitable[dict]],
    *,
    start: float,
    name: str,
    max_steps: int = 10,
    tolerance: float = 0.15,
) -> dict:
    """Search the ceiling with `step(rate)` (a clean step's summary). Returns the passing and
    failing rates found, the ceiling in deliveries/s (of the best passing step), every step."""
    steps: list[dict] = []

    async def run(rate: float) -> bool:
        summary = await step(rate) | {"rate": round(rate, 2)}
        steps.append(summary)
        print(line(f"{name} @ {rate:g}/s", summary), flush=True)
        return passes(summary)

    passing = failing = None
    rate = start
    while len(steps) < max_steps:
        if await run(rate):
            passing = rate
            if failing is not None:
                break
            rate *= 2
        else:
            failing = rate
            if passing is not None:
                break
            rate /= 2
            if rate < 1:
                break  # under a command a second there is no ceiling to speak of
    while (
        passing is not None
        and failing is not None
        and (failing - passing) / passing > tolerance
        and len(steps) < max_steps
    ):
        middle = (passing + failing) / 2
        if await run(middle):
            passing = middle
        else:
            failing = middle
    good = [s for s in steps if passes(s)]
    return {
        "passing_rate": round(passing, 2) if passing is not None else None,
        "failing_rate": round(failing, 2) if failing is not None else None,
        "ceiling_deliveries_per_s": max((s["deliveries_per_s"] for s in good), default=0.0),
        "lost": sum(s["lost"] for s in steps),
        "duplicated": sum(s["duplicated"] for s in steps),
        "steps": steps,
    }


def spread(values: list[float]) -> dict:
    """Median, lowest and highest of repeated measurements."""
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "runs": 0}
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "runs": len(values),
    }


def dig(out: dict, path: str):
    for key in path.split("."):
        out = out.get(key) if isinstance(out, dict) else None
    return out


def aggregate(runs: list[dict], paths: list[str]) -> dict:
    """For each dotted path, the spread of its value over the runs."""
    return {path: spread([dig(run, path) for run in runs]) for path in paths}
