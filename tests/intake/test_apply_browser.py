"""The participant's path in Debian's Chromium (issue 12): applying with the keyboard alone and
without JavaScript, the ward's check and two staff confirming, the email from a real SMTP
server, the entry gate, and the entry on the manager's board, live. Plus axe on the pages
applicants and participants see."""

import re
from pathlib import Path

import pytest

from tests.board.test_browser import ARGS, CHROMIUM, logged_in
from tests.conftest import ROOT, needs, seed, start_with_mail, wait_for
from tests.intake.test_intake import application_of, issue, person_by_email, ward_check
from tests.smtp import start_smtp

pytestmark = pytest.mark.browser
AXE = ROOT / "tests" / "vendor" / "axe-4.14.1.min.js"


@pytest.fixture
async def chromium():
    if not Path(CHROMIUM).exists():
        needs("Chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def mailed(tmp_path):
    url = f"sqlite:///{tmp_path / 'journey.db'}"
    engine, meetup = seed(url)
    server, smtp_port = start_with_mail(url, tmp_path)
    controller, inbox = start_smtp(smtp_port)
    yield server, engine, inbox, meetup.id
    controller.stop()
    server.stop()


async def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until `selector` has the focus, as someone without a mouse would."""
    target = page.locator(selector)
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus by Tab")


async def test_apply_with_the_keyboard_then_enter_and_appear_on_the_board(chromium, mailed):
    server, engine, inbox, meetup_id = mailed
    context = await chromium.new_context(java_script_enabled=False, locale="ja-JP")
    page = await context.new_page()
    await page.goto(f"{server.url}/apply/metaverse")
    email = "keyboard@example.jp"
    for selector, text in (
        ("#name", "鍵盤 たろう"),
        ("#kana", "けんばん たろう"),
        ("#address", "東京都港区南青山1-1-1"),
        ("#birth_date", "1998-12-24"),
        ("#email", email),
    ):
        await tab_to(page, selector)
        await page.keyboard.type(text) if selector != "#birth_date" else await page.fill(
            selector, text
        )
    await tab_to(page, "#consent")
    await page.keyboard.press("Space")
    await tab_to(page, "button[type=submit]")
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="お申込みを受け付けました").wait_for()
    await context.close()

    person = person_by_email(engine, email)
    assert person.district == "akasaka"
    assert ward_check(server, application_of(engine, person).id).status_code == 303
    issue(server, engine, person)
    letter = wait_for(
        lambda: [m for m in inbox.messages if m["To"] == email and "パスワード" in m["Subject"]]
    )
    body = letter[0].get_content()
    code, password = re.search(r"ID: (\S+)", body)[1], re.search(r"パスワード: (\S+)", body)[1]

    manager = await logged_in(chromium, server, "manager", meetup_id)
    gate_context = await chromium.new_context(java_script_enabled=False, locale="ja-JP")
    gate = await gate_context.new_page()
    await gate.goto(f"{server.url}/entry/{meetup_id}")
    await tab_to(gate, "#participant_id")
    await gate.keyboard.type(code)
    await tab_to(gate, "#password")
    await gate.keyboard.type(password)
    await tab_to(gate, "input[name=consent]")
    await gate.keyboard.press("Space")
    await gate.keyboard.press("Enter")
    await gate.get_by_role("heading", name="ようこそ").wait_for()
    await manager.locator("#timeline-list li").filter(has_text="入室しました").first.wait_for()
    await gate_context.close()


async def test_the_public_pages_have_no_serious_accessibility_violations(chromium, mailed):
    server, _, _, meetup_id = mailed
    # bypass_csp: the test injects axe as an inline script; the pages themselves run none.
    context = await chromium.new_context(locale="ja-JP", bypass_csp=True)
    page = await context.new_page()
    found = {}
    for path, submit in (
        ("/apply", False),
        ("/apply/metaverse", True),  # with every error shown
        ("/apply/in_person", False),  # its form, or the word that no session is open
        ("/entry", False),
        (f"/entry/{meetup_id}", True),  # with the refusal shown
    ):
        await page.goto(f"{server.url}{path}")
        if submit:
            await page.locator("button[type=submit]").click()
            await page.wait_for_load_state()
        await page.add_script_tag(path=str(AXE))
        result = await page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        found[path] = serious
    await context.close()
    assert all(not v for v in found.values()), found
