"""Who an avatar is: the entry gate's one-time token, staff confirming an unconfirmed avatar,
a blocked participant's avatar turned away, staff correcting the platform, and the health
panel the manager watches."""

import re
import time

import httpx
from sqlmodel import Session, select

from console.bridge.contract import Kind
from console.bridge.models import AvatarLink
from console.intake.sample import DEMO_ENTRY_CODE, DEMO_ENTRY_PASSWORD
from console.moderation.models import Block
from console.security.models import Staff as StaffRow
from console.store.columns import utcnow
from console.store.db import transaction
from tests.bridge.conftest import body, linked, open_meetup, send
from tests.conftest import new_participant, seed, wait_for


def gate(server, meetup_id: int) -> httpx.Response:
    client = httpx.Client(base_url=server.url)
    page = client.get(f"/entry/{meetup_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    data = {
        "csrf_token": token,
        "participant_id": DEMO_ENTRY_CODE,
        "password": DEMO_ENTRY_PASSWORD,
        "consent": "on",
    }
    return client.post(f"/entry/{meetup_id}", data=data)


def test_the_gates_one_time_token_links_the_avatar(bridged, manager):
    server, engine = bridged
    _, running = seed(server.database_url)  # the demo's open session, where M100001 may enter
    admitted = gate(server, running.id)
    assert admitted.status_code == 200 and "ようこそ" in admitted.text
    link = re.search(r'href="(https://metaverse\.example/[^"]+)"', admitted.text)[1]
    token = re.search(r"entry_token=([A-Za-z0-9_\-]+)", link)[1]
    assert link.startswith("https://metaverse.example/world?room=minato&amp;entry_token=")
    entered = send(server, body(Kind.ENTERED_WORLD, running.id, "av-gate-1", entry_token=token))
    assert entered.json()["event"] == "avatar_tracked"  # already entered at the gate
    with Session(engine) as db:
        assert db.get(AvatarLink, "av-gate-1").via == "token"
    moved = send(server, body(Kind.ENTERED_SPACE, running.id, "av-gate-1", space="rest"))
    assert moved.json()["event"] == "platform_moved"
    # The token is spent: another avatar bringing it is not linked (it waits for staff).
    again = send(server, body(Kind.ENTERED_WORLD, running.id, "av-gate-2", entry_token=token))
    assert again.json()["event"] == "avatar_tracked"
    with Session(engine) as db:
        assert db.get(AvatarLink, "av-gate-2") is None
    send(server, body(Kind.LEFT_WORLD, running.id, "av-gate-2"))


def test_staff_confirm_an_unconfirmed_avatar_in_one_step(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    person = new_participant(engine, "未確認")
    assert (
        send(server, body(Kind.ENTERED_WORLD, meetup_id, "av-who-1", space="info")).status_code
        == 200
    )
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "未確認のアバター(1)" in page and "アバター av-who-1" in page
    linked_now = manager.command(
        meetup_id, "link_avatar", avatar_id="av-who-1", participant_code=person.code
    )
    assert linked_now.status_code == 200, linked_now.text
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "未確認のアバター(" not in page
    assert f"「{person.display_name}」さんと確認し、情報提供スペースへの入室としました" in page
    # From now on the platform's presence is this participant's.
    moved = send(server, body(Kind.ENTERED_SPACE, meetup_id, "av-who-1", space="rest"))
    assert moved.json()["event"] == "platform_moved"
    again = manager.command(
        meetup_id, "link_avatar", avatar_id="av-who-1", participant_code=person.code
    )
    assert again.status_code == 422 and "未確認の一覧にありません" in again.text


def test_an_avatar_is_offered_as_someone_who_entered_without_one(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    person = new_participant(engine, "受付済")
    entered = manager.command(meetup_id, "enter", participant_code=person.code, space="exchange")
    assert entered.status_code == 200, entered.text
    assert send(server, body(Kind.ENTERED_WORLD, meetup_id, "av-who-2")).status_code == 200
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert f"この方は {person.code} {person.display_name}さん" in page
    one_click = manager.command(
        meetup_id, "link_avatar", avatar_id="av-who-2", participant_code=person.code
    )
    assert one_click.status_code == 200, one_click.text
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "未確認のアバター(" not in page
    assert f"未確認のアバターを「{person.display_name}」さんと確認しました" in page
    moved = send(server, body(Kind.ENTERED_SPACE, meetup_id, "av-who-2", space="info"))
    assert moved.json()["event"] == "platform_moved"


def test_a_blocked_participants_avatar_is_turned_away_and_the_manager_sees_it(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    ((avatar, pid),) = linked(engine, 1).items()
    with transaction(engine) as db:
        manager_id = db.exec(select(StaffRow.id).where(StaffRow.login_id == "manager")).one()
        db.add(
            Block(
                participant_id=pid,
                meetup_id=meetup_id,
                blocked_at=utcnow(),
                blocked_by=manager_id,
                reason="テスト",
            )
        )
    answer = send(server, body(Kind.ENTERED_WORLD, meetup_id, avatar))
    assert answer.status_code == 200 and answer.json()["event"] == "entry_refused"
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "ブロック中の参加者の入室拒否" in page
    assert f'id="person-{pid}"' not in page


def test_a_staff_correction_wins_over_older_platform_news_and_is_marked(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    ((avatar, pid),) = linked(engine, 1).items()
    assert send(server, body(Kind.ENTERED_WORLD, meetup_id, avatar)).status_code == 200
    older = body(Kind.ENTERED_SPACE, meetup_id, avatar, space="info")  # happened before the fix
    time.sleep(0.01)
    fixed = manager.command(meetup_id, "move", participant_id=str(pid), space="rest")
    assert fixed.status_code == 200, fixed.text
    page = manager.http.get(f"/meetups/{meetup_id}").text
    assert "メタバースの位置を職員が修正" in page
    late = send(server, older)
    assert (late.status_code, late.json()["reason"]) == (409, "stale")
    newer = send(server, body(Kind.ENTERED_SPACE, meetup_id, avatar, space="info"))
    assert newer.json()["event"] == "platform_moved"


def test_the_manager_sees_the_bridges_health_and_a_quiet_platform(bridged, manager):
    server, engine = bridged
    meetup_id = open_meetup(engine, manager)
    url = f"/meetups/{meetup_id}/platform/health"
    # PLATFORM_QUIET_MINUTES is 0.05 on this server: quiet after 3 s with doors open.

    def told() -> str | None:
        html = manager.http.get(url).text
        return html if "連絡がありません" in html else None

    quiet = wait_for(told)
    assert 'role="alert"' in quiet and "この回はまだありません" in quiet
    assert 'hx-target="this"' in quiet  # it refreshes itself, never the page's status region
    ((avatar, _),) = linked(engine, 1).items()
    send(server, body(Kind.LEFT_SPACE, meetup_id, avatar, space="rest"))  # never entered
    send(server, body(Kind.ENTERED_WORLD, meetup_id, avatar))
    health = manager.http.get(url).text
    assert "この回 1件" in health
    assert "順序の入れ替わり(再送待ち)" in health
    facilitator = httpx.Client(base_url=server.url)
    assert facilitator.get(url).status_code == 303  # not logged in: to the login page
