"""`python -m console simulate`: plays the metaverse platform against a console.

N avatars arrive over doors-open, drift between the spaces with realistic dwell times (some
stay in the rest space), a few press the report button, and all leave toward 17:00. Session
time runs `speed` times faster than the clock (60 → a 13:45–17:00 session in 3¼ minutes).
Each avatar's events go in order from its own thread, signed per Standard Webhooks; a
delivery is retried (same webhook-id, same body) until the console answers 2xx or a refusal
that is not retryable, so a console restarting mid-delivery loses nothing. `record` keeps
what was accepted, to compare with what the console made of it.
"""

import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from console.bridge.contract import Kind
from console.session.vocab import Space

DOORS_TO_CLOSE_MINUTES = 195  # 13:45 → 17:00
WANDER = (Space.EXCHANGE, Space.EXCHANGE, Space.INFO, Space.REST)
DWELL_MINUTES = {Space.EXCHANGE: 25.0, Space.INFO: 6.0, Space.REST: 15.0}


@dataclass(frozen=True)
class Step:
    minute: float  # session minutes after doors open
    kind: Kind
    space: str | None = None


@dataclass
class Sent:
    avatar_id: str
    kind: str
    space: str | None
    event_id: str
    status: int
    answer: dict


def script(rng: random.Random, *, reports: bool) -> list[Step]:
    """One avatar's afternoon: arrive, wander (or settle in the rest space), leave by 17:00."""
    arrive = min(rng.expovariate(1 / 20), 100.0)  # most near doors-open, a few late
    leave = DOORS_TO_CLOSE_MINUTES - min(rng.expovariate(1 / 15), 60.0) - 0.5
    steps = [Step(arrive, Kind.ENTERED_WORLD, Space.EXCHANGE)]
    here, now = Space.EXCHANGE, arrive
    stayer = rng.random() < 0.2
    while True:
        now += rng.expovariate(1 / DWELL_MINUTES[here])
        if now >= leave:
            break
        there = Space.REST if stayer else rng.choice([s for s in WANDER if s != here])
        steps += [Step(now, Kind.LEFT_SPACE, here), Step(now + 0.2, Kind.ENTERED_SPACE, there)]
        here, now = there, now + 0.2
        if stayer and here == Space.REST:
            break
    if reports:
        steps.append(Step((arrive + leave) / 2, Kind.REPORTED, Space.EXCHANGE))
    steps.append(Step(max(leave, now + 0.1), Kind.LEFT_WORLD))
    return sorted(steps, key=lambda s: s.minute)


@dataclass
class Platform:
    url: str
    secret: str
    session: int
    timeout: float = 10.0
    record: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, event_id: str, body: str) -> tuple[int, dict]:
        """One attempt: (status, answer); status 0 when the console could not be reached."""
        now = datetime.now(UTC)
        signature = Webhook(self.secret).sign(event_id, now, body)
        request = urllib.request.Request(
            f"{self.url}/platform/events",
            data=body.encode(),
            method="POST",
            headers={
                "content-type": "application/json",
                "webhook-id": event_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                return error.code, json.loads(error.read() or b"{}")
            except ValueError:
                return error.code, {}
        except (OSError, ValueError):
            return 0, {}

    def deliver(
        self, kind: Kind, avatar_id: str, *, space: str | None = None, attempts: int = 120, **extra
    ) -> Sent:
        """Send one event until it is settled: accepted, or refused for good."""
        data = {"session": self.session, "avatar_id": avatar_id, **extra}
        if space is not None:
            data["space"] = space
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        body = json.dumps({"type": kind.value, "timestamp": now, "data": data})
        event_id = f"evt_{uuid.uuid4().hex}"
        for attempt in range(attempts):
            status, answer = self.post(event_id, body)
            if 200 <= status < 300 or (400 <= status < 500 and not answer.get("retryable")):
                break
            time.sleep(min(0.05 * 2 ** min(attempt, 5), 1.0))
        sent = Sent(avatar_id, kind.value, space, event_id, status, answer)
        with self.lock:
            self.record.append(sent)
        return sent


def run(
    platform: Platform,
    *,
    avatars: int = 15,
    speed: float = 60.0,
    seed: int | None = None,
    reporters: int = 2,
    prefix: str = "sim-",
) -> list[Sent]:
    """Play a whole session; returns the record of what was sent (and how it was answered)."""
    rng = random.Random(seed)
    start = time.monotonic()
    plans = {f"{prefix}{n:02d}": script(rng, reports=n <= reporters) for n in range(1, avatars + 1)}

    def play(avatar_id: str, steps: list[Step]) -> None:
        for step in steps:
            delay = start + step.minute * 60 / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            platform.deliver(step.kind, avatar_id, space=step.space)

    threads = [threading.Thread(target=play, args=item, daemon=True) for item in plans.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return platform.record
