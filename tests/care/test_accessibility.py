"""axe-core on care's pages, each showing something: no serious or critical violation."""

from datetime import datetime, timedelta

import pytest

from console.settings import TZ
from tests.board.test_accessibility import audit, login, open_every_menu
from tests.board.test_browser import browser  # noqa: F401  (the Chromium fixture)
from tests.care.test_follow_ups import forced_exit, jst_today, post
from tests.conftest import Staff, new_participant
from tests.consultations.test_consultations import consult, save

pytestmark = pytest.mark.browser


async def test_no_serious_accessibility_violations_on_the_care_pages(browser, world):  # noqa: F811
    srv, engine = world
    support = Staff(srv, "support")
    _m, counsellor, record = consult(engine, srv)
    save(counsellor, record.id, follow_up="on")
    forced_exit(srv, engine)
    person = new_participant(engine, "確認")
    base = f"/care/participants/{person.id}"
    post(support, f"{base}/need", summary="外出に不安")
    post(support, f"{base}/plan", wish="place", detail="対面の居場所に通いたい")
    post(support, f"{base}/stages", kind="accompany", on=jst_today().isoformat())
    post(
        support,
        "/care/leaks",
        found_at=(datetime.now(TZ) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        what="紙の置き忘れ",
        affected="申込者の氏名",
        report="回収済み",
    )
    later = (jst_today() + timedelta(days=30)).isoformat()
    roles = {
        "manager": [
            "/",
            "/care",
            f"/care/overdue?on={later}",
            base,
            "/care/liaison",
            "/care/leaks",
        ],
        "counsellor1": ["/", "/care", "/consultations", f"/consultations/{record.id}"],
        "ward": ["/", "/care/leaks"],
    }
    found: list[str] = []
    for role, paths in roles.items():
        context = await browser.new_context(
            viewport={"width": 1366, "height": 768}, locale="ja-JP", bypass_csp=True
        )
        page = await login(context, srv, role)
        for path in paths:
            response = await page.goto(srv.url + path)
            assert response.status == 200, (role, path)
            await open_every_menu(page)
            found += await audit(page, f"{role} {path}")
        if role == "counsellor1":  # a change on /care reloads the page, and still says so
            await page.goto(srv.url + "/care")
            await page.get_by_label("参加者").select_option(str(person.id))
            await page.get_by_label("対応内容").fill("様子を電話で確認する")
            await page.get_by_label("期限").fill(later)
            await page.get_by_role("button", name="登録する").click()
            said = page.locator("#command-result").filter(has_text="フォローアップを登録しました")
            await said.wait_for()
            assert "様子を電話で確認する" in await page.content()
        await context.close()
    assert found == []
