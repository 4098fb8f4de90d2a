"""axe-core on every page for every role, with every menu open: no serious or critical
violation. axe (tests/vendor/axe-4.14.1.min.js, MPL-2.0) is injected by the test only; the
contexts bypass the CSP for that one script, which the app never serves."""

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from console.consultations.models import ConsultationRecord
from console.live.models import Meetup
from tests.board.test_browser import browser  # noqa: F401  (the Chromium fixture)
from tests.conftest import Staff, give_factor, make_server, new_participant, seed

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-4.14.1.min.js"
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo data plus what makes every page show something: a forced exit and a block
    (the ward's reports, the blocks page), a finalised monthly report (the ward's view)."""
    tmp = tmp_path_factory.mktemp("axe")
    url = f"sqlite:///{tmp / 'axe.db'}"
    engine, running = seed(url)
    srv = make_server(url, tmp).start()
    manager = Staff(srv, "manager")
    person = new_participant(engine, "確認用")
    manager.command(running.id, "enter", participant_code=person.code, space="exchange")
    manager.command(running.id, "warn", participant_id=str(person.id), rule="abuse", wording="注意")
    manager.command(running.id, "force_exit", participant_id=str(person.id), reason="暴言が続いた")
    manager.command(running.id, "block", participant_id=str(person.id), reason="繰り返し")
    with Session(engine) as db:
        closed = db.exec(select(Meetup).where(Meetup.status == "closed")).first()
        record = db.exec(select(ConsultationRecord)).first()
    year, month = closed.date.year, closed.date.month
    token = {"csrf_token": manager.csrf}
    manager.http.post(f"/monthly/{year}/{month}/text", data={**token, "notable": "特になし"})
    manager.http.post(
        f"/monthly/{year}/{month}/finalise", data={**token, "version": "1", "agree": "on"}
    )
    pages = {
        "board": f"/meetups/{running.id}",
        "home": "/",
        "schedule": "/schedule",
        "participants": "/participants",
        "history": f"/participants/{person.id}/history",
        "records": "/consultations",
        "record": f"/consultations/{record.id}",
        "blocks": "/blocks",
        "reports": "/reports",
        "monthly_index": f"/monthly?fy={year if month >= 4 else year - 1}",
        "monthly": f"/monthly/{year}/{month}",
        "summary": f"/meetups/{closed.id}/summary",
        "missing": "/no/such/page",
    }
    yield srv, pages
    srv.stop()


ROLES = {
    "manager": [
        "board",
        "home",
        "schedule",
        "participants",
        "history",
        "records",
        "record",
        "blocks",
        "reports",
        "monthly_index",
        "monthly",
        "summary",
        "missing",
    ],
    "facilitator": ["board", "home", "schedule", "participants", "history", "blocks"],
    "counsellor1": ["board", "home", "records", "record", "missing"],
    "support": ["board", "home", "participants", "reports"],
    "ward": [
        "board",
        "home",
        "schedule",
        "reports",
        "monthly_index",
        "monthly",
        "summary",
        "blocks",
    ],
}


async def audit(page, where: str) -> list[str]:
    """Serious and critical violations on the page as it is now, one line each."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    results = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} — "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:4])
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


async def open_every_menu(page) -> None:
    await page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


async def login(context, srv, login_id: str):
    page = await context.new_page()
    await page.goto(f"{srv.url}/login")
    await page.get_by_label("ログインID").fill(login_id)
    await page.get_by_label("パスワード").fill("demo-pass-2026")
    await page.get_by_role("button", name="ログイン").click()
    await give_factor(page, srv, login_id)
    await page.wait_for_url(re.compile(r".*/$"))
    return page


@pytest.mark.parametrize("role", list(ROLES))
async def test_no_serious_accessibility_violations_on_any_page_of_the_role(
    browser,  # noqa: F811
    site,
    role,
):
    srv, pages = site
    context = await browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="ja-JP", bypass_csp=True
    )
    page = await login(context, srv, role)
    found: list[str] = []
    for name in ROLES[role]:
        await page.goto(srv.url + pages[name])
        if name == "board":
            await page.locator("#live-connection[data-state=open]").wait_for()
        await open_every_menu(page)
        found += await audit(page, f"{role} {name}")
        if name == "board":
            tabs = page.get_by_role("tab")
            for i in range(1, await tabs.count()):  # the first tab was audited above
                await tabs.nth(i).click()
                found += await audit(page, f"{role} board tab {i}")
            if role == "manager":  # the confirmation dialog, as a forced exit opens it
                await page.evaluate(
                    "document.getElementById('confirm-text').textContent = '確認の文';"
                    "document.getElementById('confirm-dialog').showModal()"
                )
                found += await audit(page, f"{role} board dialog")
    await context.close()
    assert found == []


async def test_no_serious_accessibility_violations_on_the_login_page(
    browser,  # noqa: F811
    site,
):
    srv, _ = site
    context = await browser.new_context(locale="ja-JP", bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{srv.url}/login")
    found = await audit(page, "login")
    await page.goto(f"{srv.url}/no/such/page")
    found += await audit(page, "missing, logged out")
    await context.close()
    assert found == []
