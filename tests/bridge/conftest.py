"""A console with the platform bridge configured (two secrets in rotation), shared by the
bridge's tests, and a platform's side of the contract."""

import base64
import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import Session, func, select
from standardwebhooks.webhooks import Webhook

from console.bridge import links
from console.bridge.contract import Kind
from console.bridge.models import PlatformRefusal
from console.live.models import EventRow
from tests.conftest import Staff, make_server, new_meetup, new_participant, seed, wait_for

OLD = "whsec_" + base64.b64encode(b"old-secret-of-the-platform-0001").decode()
NEW = "whsec_" + base64.b64encode(b"new-secret-of-the-platform-0002").decode()
OTHER = "whsec_" + base64.b64encode(b"a-secret-nobody-configured-0003").decode()


@pytest.fixture(scope="package")
def bridged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bridge")
    url = f"sqlite:///{tmp / 'console.db'}"
    engine, _ = seed(url)
    server = make_server(
        url,
        tmp,
        PLATFORM_WEBHOOK_SECRETS=f"{OLD},{NEW}",
        PLATFORM_QUIET_MINUTES="0.05",
        METAVERSE_URL="https://metaverse.example/world?room=minato",
    ).start()
    yield server, engine
    server.stop()
    engine.dispose()


@pytest.fixture(scope="package")
def manager(bridged):
    return Staff(bridged[0], "manager")


def open_meetup(engine, manager: Staff) -> int:
    meetup_id = new_meetup(engine)
    manager.command(meetup_id, "open_doors")
    wait_for(lambda: "入室受付中" in manager.http.get(f"/meetups/{meetup_id}").text)
    return meetup_id


def linked(engine, n: int) -> dict[str, int]:
    """n new participants, each linked to a fresh avatar id."""
    avatars = {f"av-{uuid.uuid4().hex[:10]}": new_participant(engine).id for _ in range(n)}
    links.link_avatars(engine, avatars)
    return avatars


def body(kind: Kind, meetup_id: int, avatar_id: str, **data) -> str:
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    return json.dumps(
        {
            "type": kind.value,
            "timestamp": at,
            "data": {"session": meetup_id, "avatar_id": avatar_id, **data},
        }
    )


def send(
    server,
    raw: str,
    *,
    secret: str = NEW,
    event_id: str | None = None,
    at: datetime | None = None,
    sign: str | None = None,
) -> httpx.Response:
    event_id = event_id or f"evt_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(event_id, at, sign if sign is not None else raw)
    headers = {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
    return httpx.post(
        f"{server.url}/platform/events", content=raw.encode(), headers=headers, timeout=30
    )


def log_size(engine, meetup_id: int) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).where(EventRow.meetup_id == meetup_id)).one()


def refusals(engine, reason: str) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).where(PlatformRefusal.reason == reason)).one()
