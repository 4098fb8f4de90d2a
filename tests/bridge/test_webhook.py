"""The platform webhook: signed deliveries (Standard Webhooks), refusals with a reason and
nothing appended, exactly once under retries, and the order of an avatar's events."""

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from console.bridge.contract import Kind
from console.bridge.simulator import Platform
from tests.bridge.conftest import (
    NEW,
    OLD,
    OTHER,
    body,
    linked,
    log_size,
    open_meetup,
    refusals,
    send,
)
from tests.conftest import Staff
from tests.live_client import LiveClient, page_seq


def test_signed_delivery_is_accepted_and_shown_as_from_the_platform(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    ((avatar, pid),) = linked(engine, 1).items()
    answer = send(server, body(Kind.ENTERED_WORLD, meetup_id, avatar, space="rest"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["event"] == "platform_entered" and not answer.json()["duplicate"]
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "休憩スペースに入室しました" in page and "(記録: メタバース)" in page


@pytest.mark.parametrize(
    ("case", "reason", "status"),
    [
        ("tampered", "bad_signature", 401),
        ("wrong_secret", "bad_signature", 401),
        ("old", "expired_timestamp", 401),
        ("future", "expired_timestamp", 401),
    ],
)
def test_unsigned_deliveries_are_refused_and_append_nothing(bridged, manager, case, reason, status):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    ((avatar, _),) = linked(engine, 1).items()
    raw = body(Kind.ENTERED_WORLD, meetup_id, avatar)
    before, counted = log_size(engine, meetup_id), refusals(engine, reason)
    if case == "tampered":
        answer = send(
            server,
            raw.replace('"exchange"', '"rest"').replace("}}", ', "space": "rest"}}'),
            sign=raw,
        )
    elif case == "wrong_secret":
        answer = send(server, raw, secret=OTHER)
    elif case == "old":
        answer = send(server, raw, at=datetime.now(UTC) - timedelta(minutes=6))
    else:
        answer = send(server, raw, at=datetime.now(UTC) + timedelta(minutes=6))
    assert answer.status_code == status
    assert answer.json() == {"accepted": False, "reason": reason, "retryable": False}
    assert log_size(engine, meetup_id) == before
    assert refusals(engine, reason) == counted + 1


def test_either_secret_in_rotation_signs(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    first, second = linked(engine, 2)
    assert send(server, body(Kind.ENTERED_WORLD, meetup_id, first), secret=OLD).status_code == 200
    assert send(server, body(Kind.ENTERED_WORLD, meetup_id, second), secret=NEW).status_code == 200
    # A platform mid-rotation signs with both: any one signature that matches will do.
    raw, event_id, at = (
        body(Kind.LEFT_WORLD, meetup_id, first),
        "evt_both_secrets",
        datetime.now(UTC),
    )
    both = " ".join(Webhook(s).sign(event_id, at, raw) for s in (OTHER, OLD))
    answer = httpx.post(
        f"{server.url}/platform/events",
        content=raw.encode(),
        headers={
            "webhook-id": event_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": both,
        },
    )
    assert answer.status_code == 200 and answer.json()["event"] == "platform_left"


def test_bad_deliveries_say_why_and_append_nothing(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    ((avatar, _),) = linked(engine, 1).items()
    assert send(server, body(Kind.ENTERED_WORLD, meetup_id, avatar)).status_code == 200
    before = log_size(engine, meetup_id)
    cases = [
        ("{not json", "malformed_json", 400),
        (
            '{"type": "avatar.danced", "timestamp": "2026-01-01T00:00:00Z", "data": {}}',
            "unknown_event_type",
            422,
        ),
        (body(Kind.ENTERED_WORLD, 999999, avatar), "unknown_session", 404),
        (body(Kind.LEFT_SPACE, meetup_id, avatar, space="rest"), "not_in_space", 422),
        (body(Kind.ENTERED_SPACE, meetup_id, avatar, space="garden"), "bad_event", 422),
        (body(Kind.ENTERED_WORLD, meetup_id, avatar, pad="x" * 20000), "oversize", 413),
    ]
    for raw, reason, status in cases:
        answer = send(server, raw)
        assert (answer.status_code, answer.json()["reason"]) == (status, reason), raw[:80]
    assert (
        send(server, body(Kind.LEFT_WORLD, meetup_id, avatar), event_id="bad id!").json()["reason"]
        == "bad_event_id"
    )
    assert log_size(engine, meetup_id) == before


def test_the_same_event_delivered_five_times_at_once_is_one_event(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    ((avatar, _),) = linked(engine, 1).items()
    raw, event_id = body(Kind.ENTERED_WORLD, meetup_id, avatar), f"evt_{uuid.uuid4().hex}"
    before = log_size(engine, meetup_id)
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: send(server, raw, event_id=event_id), range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.json()["seq"] for a in answers}) == 1
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    assert log_size(engine, meetup_id) == before + 1
    # The same id with another body is not a retry: refused.
    other = send(server, body(Kind.LEFT_WORLD, meetup_id, avatar), event_id=event_id)
    assert (other.status_code, other.json()["reason"]) == (409, "conflict")


def test_an_avatars_events_apply_in_platform_order(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    ((avatar, _),) = linked(engine, 1).items()
    entered = body(Kind.ENTERED_WORLD, meetup_id, avatar)
    time.sleep(0.01)
    moved = body(Kind.ENTERED_SPACE, meetup_id, avatar, space="info")
    time.sleep(0.01)
    left = body(Kind.LEFT_WORLD, meetup_id, avatar)
    early = send(server, moved)  # its entry has not arrived yet: retry later
    assert (early.status_code, early.json()["retryable"]) == (409, True)
    assert early.headers["retry-after"] == "1"
    assert send(server, entered).status_code == 200
    assert send(server, left).status_code == 200
    late = send(server, moved)  # older than the leave already applied: never folded
    assert (late.status_code, late.json()["reason"]) == (409, "stale")
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "情報提供スペースへ移動しました" not in page


async def test_a_burst_of_200_is_folded_in_order_and_each_dashboard_gets_each_once(
    bridged, manager
):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    avatars = list(linked(engine, 20))
    facilitator = Staff(server, "facilitator")
    start = page_seq(manager.http.get(f"/meetups/{meetup_id}").text)
    clients = [
        await LiveClient(server.ws_url, meetup_id, who.ws_headers()).connect(start)
        for who in (manager, facilitator)
    ]
    platform = Platform(server.url, NEW, meetup_id)
    spaces = ["info", "rest", "exchange"] * 3

    def one_avatar(avatar_id: str) -> None:  # 1 + 8 + 1 events, in order
        platform.deliver(Kind.ENTERED_WORLD, avatar_id)
        for space in spaces[1:9]:
            platform.deliver(Kind.ENTERED_SPACE, avatar_id, space=space)
        platform.deliver(Kind.LEFT_WORLD, avatar_id)

    with ThreadPoolExecutor(20) as pool:
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: list(pool.map(one_avatar, avatars))
        )
    assert len(platform.record) == 200
    assert all(sent.status == 200 for sent in platform.record), {
        s.answer.get("reason") for s in platform.record
    }
    end = start + 200
    assert log_size(engine, meetup_id) == end
    for client in clients:
        await client.until_seq(end, timeout=60)
        await client.quiet(0.3)
        seqs = client.event_seqs
        assert sorted(seqs) == list(range(start + 1, end + 1)), "each event once"
        await client.close()
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert page_seq(page) == end
    assert (
        'id="people-exchange"' in page
        and "person-" not in page.split('id="people-exchange"')[1].split("</ul>")[0]
    )
