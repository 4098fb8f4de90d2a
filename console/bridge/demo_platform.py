"""The demo's metaverse platform: the simulator, playing sessions against the demo server so
the board moves on its own."""

import base64
import secrets
import threading
import time
import urllib.request

from sqlalchemy.engine import Engine
from sqlmodel import Session

from console import settings
from console.bridge import links, simulator
from console.session.models import code_lookup

AVATARS = 15
UNCONFIRMED = 2  # the last avatars are nobody's yet: staff confirm them on the board


def demo_secret() -> str:
    """The configured secret, or a fresh one for this demo run (kept in this process only)."""
    if not settings.PLATFORM_WEBHOOK_SECRETS:
        fresh = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        settings.PLATFORM_WEBHOOK_SECRETS = [fresh]
    return settings.PLATFORM_WEBHOOK_SECRETS[0]


def link_demo_avatars(engine: Engine) -> None:
    """sim-01 … are the demo's participants P001 …, as if they had come through the gate."""
    found: dict[str, int] = {}
    with Session(engine) as db:
        for n in range(1, AVATARS - UNCONFIRMED + 1):
            participant = db.exec(code_lookup(f"P{n:03d}")).first()
            if participant is not None:
                found[f"sim-{n:02d}"] = participant.id
    links.link_avatars(engine, found)


def play_in_background(url: str, meetup_id: int, *, speed: float = 60.0) -> threading.Thread:
    """Once the server answers, play session after session (a daemon thread)."""
    platform = simulator.Platform(url, demo_secret(), meetup_id)

    def loop() -> None:
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        while True:
            simulator.run(platform, avatars=AVATARS, speed=speed)
            platform.record.clear()

    thread = threading.Thread(target=loop, name="demo-platform", daemon=True)
    thread.start()
    return thread
