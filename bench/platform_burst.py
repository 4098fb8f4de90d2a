"""The platform burst (issues 19 and 21): 200 presence events in one second, signed as the
metaverse platform signs them, folded and shown on 20 dashboards.

50 avatars, linked to participants beforehand as the gate links them, each send four events
in their own order — enter the world, then the information, rest and exchange spaces — the
200 spread evenly over one second, an avatar's next event never before its previous one was
answered (the bridge refuses news out of an avatar's order). Latency is from sending an
event to its frame on each dashboard; "all on screen" is from the first send to the last
frame on the last dashboard. Goal: all within 1 s, p99 ≤ 250 ms.
"""

import asyncio
import base64
import json
import time
import uuid
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from bench.measure import line, settle, tally
from bench.poster import Poster
from console.bridge.contract import Kind

SECRET = "whsec_" + base64.b64encode(b"the-benchmark-platform-secret-01").decode()
AVATARS, DASHBOARDS, SECONDS = 50, 20, 1.0
STEPS = [
    (Kind.ENTERED_WORLD, None),
    *((Kind.ENTERED_SPACE, space) for space in ("info", "rest", "exchange")),
]


def _link(console, count: int) -> list[str]:
    """`count` fresh participants, each linked to an avatar id (as the entry gate does)."""
    from console.bridge import links
    from console.store.db import make_engine
    from tests.conftest import new_participant

    engine = make_engine(console.database_url)
    try:
        avatars = {
            f"bench-{uuid.uuid4().hex[:8]}": new_participant(engine, "ベンチ").id
            for _ in range(count)
        }
        links.link_avatars(engine, avatars)
    finally:
        engine.dispose()
    return list(avatars)


async def once(console, clean) -> dict:
    avatars = _link(console, AVATARS)
    dash = await console.dashboards(DASHBOARDS, console.seq())
    await clean(console, dash)
    for d in dash:
        d.arrivals.clear()
    poster, hook = Poster(console.server.url), Webhook(SECRET)
    sent: dict[int, float] = {}
    refused: list[str] = []
    total = AVATARS * len(STEPS)
    began = time.perf_counter()

    async def deliver(index: int, kind: Kind, avatar: str, space: str | None) -> None:
        delay = began + index * SECONDS / total - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        data = {"session": console.meetup_id, "avatar_id": avatar}
        if space:
            data["space"] = space
        now = datetime.now(UTC)
        body = json.dumps(
            {"type": kind.value, "timestamp": now.isoformat(timespec="microseconds"), "data": data}
        )
        event_id = f"evt_{uuid.uuid4().hex}"
        t0 = time.perf_counter()
        status, _, answer = await poster.send(
            "/platform/events",
            body.encode(),
            {
                "Content-Type": "application/json",
                "webhook-id": event_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": hook.sign(event_id, now, body),
            },
        )
        if status == 200:
            sent[json.loads(answer)["seq"]] = t0
        else:
            refused.append(answer.decode())

    async def avatar(a: int, avatar_id: str) -> None:
        for step, (kind, space) in enumerate(STEPS):  # in the avatar's own order
            await deliver(step * AVATARS + a, kind, avatar_id, space)

    await asyncio.gather(*(avatar(a, av) for a, av in enumerate(avatars)))
    sending = time.perf_counter() - began
    if sent:
        await settle(dash, max(sent), timeout=60)
    last_frame = max((at for d in dash for seq, at in d.arrivals if seq in sent), default=began)
    result = tally(dash, sent, time.perf_counter() - began).summary()
    result |= {
        "events": total,
        "accepted": len(sent),
        "refused": len(refused),
        "sending_seconds": round(sending, 3),
        "all_on_screen_seconds": round(last_frame - began, 3),
    }
    await poster.close()
    await asyncio.gather(*(d.close() for d in dash))
    print(
        line(f"{total} events in {SECONDS:.0f} s", result),
        f"all on screen {result['all_on_screen_seconds']} s",
        flush=True,
    )
    if refused:
        print("  refused:", refused[:3])
    return result


async def run(args, Console, clean) -> dict:
    console = Console(PLATFORM_WEBHOOK_SECRETS=SECRET)
    try:
        return {"avatars": AVATARS, "dashboards": DASHBOARDS} | await once(console, clean)
    finally:
        await console.close()
