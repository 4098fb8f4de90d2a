"""A family class in Debian's Chromium: two groups, a facilitator each, the rule met and unmet
live on another person's screen, the speaking-turn tracker, and the summary's lines."""

import uuid

import pytest
from sqlmodel import Session, select

from console.security.auth import hash_password
from console.security.models import Staff as StaffRow
from console.store.db import transaction
from tests.board.test_accessibility import audit, login, open_every_menu
from tests.board.test_browser import browser, logged_in  # noqa: F401  (the fixture)
from tests.conftest import Staff, new_participant
from tests.workshop.test_workshop import family_class

pytestmark = pytest.mark.browser


def _second_facilitator(server, engine) -> tuple[Staff, str]:
    login = f"fac-b-{uuid.uuid4().hex[:6]}"
    with transaction(engine) as db:
        db.add(
            StaffRow(
                login_id=login,
                display_name="ファシリ 小林",
                role="facilitator",
                qualification="nurse",
                password_hash=hash_password("demo-pass-2026"),
            )
        )
    return Staff(server, login), "ファシリ 小林"


async def test_a_family_class_workshop_in_the_browser(browser, server, staff, engine):  # noqa: F811
    manager_http, first_http = staff("manager"), staff("facilitator")
    second_http, second_name = _second_facilitator(server, engine)
    meetup_id = family_class(engine)
    assert manager_http.command(meetup_id, "open_doors").status_code == 200
    for who in (first_http, second_http):
        assert who.command(meetup_id, "duty_on", post="workshop").status_code == 200
    people = [new_participant(engine, name) for name in ("母", "父")]
    for person in people:
        entered = manager_http.command(
            meetup_id, "enter", participant_code=person.code, space="lecture"
        )
        assert entered.status_code == 200
    with Session(engine) as db:
        first_name = db.exec(
            select(StaffRow.display_name).where(StaffRow.login_id == "facilitator")
        ).one()

    manager = await logged_in(browser, server, "manager", meetup_id)
    facilitator = await logged_in(browser, server, "facilitator", meetup_id)
    assert await manager.locator("#space-exchange").count() == 0
    assert await manager.locator("#space-workshop").count() == 1

    panel = manager.locator("#workshop-panel")
    for name in ("Aグループ", "Bグループ"):
        await panel.get_by_label("新しいグループ名").fill(name)
        await panel.get_by_role("button", name="グループを作成").click()
        await manager.locator(f'#workshop-panel article[data-group="{name}"]').wait_for()
    rule = facilitator.locator("#compliance-panel")
    await rule.get_by_text("未配置: Aグループ・Bグループ").wait_for(timeout=5000)

    group_a = manager.locator('#workshop-panel article[data-group="Aグループ"]')
    await group_a.get_by_label("ファシリテーターを配置").select_option(label=first_name)
    await group_a.get_by_role("button", name="配置").first.click()
    await rule.get_by_text("未配置: Bグループ").wait_for(timeout=5000)  # live, no reload

    group_b = manager.locator('#workshop-panel article[data-group="Bグループ"]')
    await group_b.get_by_label("ファシリテーターを配置").select_option(label=second_name)
    await group_b.get_by_role("button", name="配置").first.click()
    await rule.get_by_text("2グループとも配置済み").wait_for(state="attached", timeout=5000)

    for person in people:
        await group_a.get_by_label("参加者を配置").select_option(label=person.display_name)
        await group_a.get_by_role("button", name="配置").nth(1).click()
        await group_a.get_by_role("button", name=f"{person.display_name}(まだ)").wait_for()

    # The facilitator taps the mother once; the manager sees it, and who has not spoken yet.
    mine = facilitator.locator('#workshop-panel article[data-group="Aグループ"]')
    await mine.get_by_role("button", name=f"{people[0].display_name}(まだ)").click()
    await group_a.get_by_role("button", name=f"{people[0].display_name}(発言済み)").wait_for(
        timeout=5000
    )
    await group_a.get_by_text(f"まだの方: {people[1].display_name}").wait_for()
    assert "発言: 1 / 2名" in await group_a.locator(".turn-count").inner_text()

    await mine.get_by_role("button", name="グループを終了").click()
    refusal = f"まだ発言の機会がなかった方: {people[1].label}さん"
    await facilitator.locator("#command-result").get_by_text(refusal).wait_for(timeout=5000)

    await mine.get_by_role("button", name=f"{people[1].display_name}(まだ)").click()
    await group_a.get_by_text("全員が発言しました").wait_for(timeout=5000)
    await mine.get_by_role("button", name="グループを終了").click()
    await manager.get_by_role("heading", name="Aグループ(終了)").wait_for(timeout=5000)
    audited = await browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="ja-JP", bypass_csp=True
    )
    page = await login(audited, server, "manager")
    for path in (f"/meetups/{meetup_id}", "/staff/experience"):
        await page.goto(server.url + path)
        await open_every_menu(page)
        assert await audit(page, path) == []
    await audited.close()

    # The summary of this family class, in its own terms.
    closed = manager_http.command(meetup_id, "close", reason="テストのため早めに終了")
    assert closed.status_code == 200
    summary = manager_http.http.get(f"/meetups/{meetup_id}/summary").text
    assert "家族教室" in summary and "参加人数(家族・実人数)" in summary
    assert "グループワークのグループ" in summary and "Aグループ・Bグループ" in summary
    assert "交流スペース" not in summary
    await manager.context.close()
    await facilitator.context.close()
