"""A passkey registered and then used to log in, in Chromium with a virtual authenticator
(the DevTools WebAuthn domain through Playwright's CDP session)."""

import os

import pytest
from sqlmodel import Session, select

from console.security.models import AuditEntry, Passkey
from tests.board.test_browser import ARGS, CHROMIUM
from tests.conftest import give_factor, make_server, needs, seed

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("passkey")
    url = f"sqlite:///{tmp / 'passkey.db'}"
    engine, _ = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, engine
    srv.stop()
    engine.dispose()


async def test_a_passkey_is_registered_then_logs_in_instead_of_a_code(site):
    if not os.path.exists(CHROMIUM):
        needs("Chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    server, engine = site
    # A relying party is a domain name, never an IP address: the browser goes to localhost.
    base = server.url.replace("127.0.0.1", "localhost")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(locale="ja-JP")
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("WebAuthn.enable")
        await cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )

        async def password_step() -> None:
            await page.goto(f"{base}/login?next=/schedule")
            await page.get_by_label("ログインID").fill("counsellor1")
            await page.get_by_label("パスワード").fill("demo-pass-2026")
            await page.get_by_role("button", name="ログイン").click()
            await page.wait_for_url("**/login/factor**")

        await password_step()
        await give_factor(page, server, "counsellor1")
        await page.wait_for_url(f"{base}/schedule")
        await page.goto(f"{base}/security/passkeys")
        await page.get_by_role("button", name="パスキーを登録する").click()
        await page.locator("#passkey-list li").first.wait_for()
        with Session(engine) as db:
            [key] = db.exec(select(Passkey)).all()

        await page.get_by_role("button", name="ログアウト").click()
        await page.wait_for_url("**/login")
        await password_step()
        await page.get_by_role("button", name="パスキーで確認").click()
        await page.wait_for_url(f"{base}/schedule")
        assert await page.get_by_role("heading", level=1).count() >= 1
        await browser.close()
    with Session(engine) as db:
        used = db.exec(select(AuditEntry).where(AuditEntry.action == "factor.passkey_used")).all()
        again = db.get(Passkey, key.id)
    assert [u.staff_id for u in used] == [key.staff_id]
    assert again.sign_count >= key.sign_count
