"""End to end in Debian's Chromium, driven by Playwright: two staff, two browser contexts."""

import os
import re

import pytest

from tests.conftest import give_factor, needs

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser():
    if not os.path.exists(CHROMIUM):
        needs("Chromium", f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        await browser.close()


async def logged_in(browser, server, login_id: str, meetup_id: int):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = await context.new_page()
    await page.goto(f"{server.url}/login?next=/meetups/{meetup_id}")
    await page.get_by_label("ログインID").fill(login_id)
    await page.get_by_label("パスワード").fill("demo-pass-2026")
    await page.get_by_role("button", name="ログイン").click()
    await give_factor(page, server, login_id)
    await page.wait_for_url(f"**/meetups/{meetup_id}")
    # A busy machine may refuse a first socket; the page retries with the ws extension's
    # back-off (up to 30 s between tries), so wait for more than one try.
    await page.locator("#live-connection[data-state=open]").wait_for(timeout=90_000)
    return page


async def test_counsellors_move_appears_on_the_managers_board_without_reload(
    browser, server, staff
):
    manager = await logged_in(browser, server, "manager", 1)
    counsellor = await logged_in(browser, server, "counsellor2", 1)
    await manager.evaluate("window.__sameDocument = true")

    person = counsellor.locator("#people-exchange li.person").first
    person_id = await person.get_attribute("id")
    name = await person.locator(".name").inner_text()
    await person.locator("summary").click()
    await person.get_by_role("button", name="→ 休憩スペース").click()
    result = counsellor.locator("#command-result .message")
    await result.wait_for()
    assert "移動を記録しました" in await result.inner_text()

    moved = manager.locator(f"#people-rest #{person_id}")
    await moved.wait_for(timeout=5000)
    assert await moved.locator(".name").inner_text() == name
    assert await manager.locator(f"#people-exchange #{person_id}").count() == 0
    assert await manager.evaluate("window.__sameDocument") is True
    timeline = manager.locator("#timeline-list li").first
    assert re.search(
        rf"「{name}」さんが交流スペースから休憩スペースへ移動しました", await timeline.inner_text()
    )
    await manager.context.close()
    await counsellor.context.close()


async def test_the_answer_shows_even_when_the_live_update_removed_the_form_first(browser, server):
    """The live frame that moves a row usually beats the HTTP answer of the form inside it."""

    page = await logged_in(browser, server, "support", 1)

    person = page.locator("#people-exchange li.person").first
    person_id = await person.get_attribute("id")

    async def answer_late(route):
        response = await route.fetch()
        # Held back until the websocket frame has moved the row (and removed the form).
        await page.locator(f"#people-info #{person_id}").wait_for()
        await route.fulfill(response=response)

    await page.route("**/commands/move", answer_late)
    await person.locator("summary").click()
    await person.get_by_role("button", name="→ 情報提供スペース").click()
    await page.locator(f"#people-info #{person_id}").wait_for()
    result = page.locator("#command-result .message")
    await result.filter(has_text="移動を記録しました").wait_for(timeout=5000)
    await page.context.close()


async def test_an_open_row_stays_open_and_focused_when_someone_else_updates_it(
    browser, server, staff
):
    page = await logged_in(browser, server, "facilitator", 1)
    person = page.locator("#people-exchange li.person").first
    person_id = await person.get_attribute("id")
    await person.locator("summary").focus()
    await page.keyboard.press("Enter")  # opens the actions with the keyboard
    assert await person.locator("details").get_attribute("open") is not None
    pid = person_id.removeprefix("person-")
    other = staff("manager")
    current = await person.locator(".badge.attention").count()
    mark = "attention_resolved" if current else "attention"
    assert other.command(1, "mark", participant_id=pid, mark=mark).status_code == 200
    await page.locator(f"#{person_id} .badge.attention").wait_for(
        state="detached" if current else "visible"
    )
    row = page.locator(f"#{person_id}")
    assert await row.locator("details").get_attribute("open") is not None
    assert await page.evaluate(f"document.activeElement.closest('#{person_id}') !== null")
    await page.context.close()


async def test_duty_note_and_entry_from_the_keyboard(browser, server, staff):
    page = await logged_in(browser, server, "facilitator", 1)
    await page.keyboard.press("Alt+KeyN")  # one keystroke opens the duty and entry tab
    tab = page.get_by_role("tab", name=re.compile("勤務・入室"))
    assert await tab.get_attribute("aria-selected") == "true"
    assert await page.evaluate("document.activeElement.id") == "tab-duty"
    await page.get_by_label("配置", exact=True).select_option("exchange")
    await page.get_by_role("button", name="配置変更").focus()
    await page.keyboard.press("Enter")
    await (
        page.locator("#command-result")
        .filter(has_text=re.compile("記録しました|すでに"))
        .wait_for()
    )

    await page.keyboard.press("Alt+KeyR")  # the staff channel
    await page.get_by_label("メモ", exact=True).fill("<b>太字ではない</b> 連絡です")
    await page.get_by_role("button", name="送信").click()
    note = page.locator("#notes-list li").first
    await note.filter(has_text="連絡です").wait_for()
    assert "<b>太字ではない</b>" in await note.locator(".text").inner_text()
    assert await page.get_by_label("メモ", exact=True).input_value() == ""  # the form was reset

    await page.keyboard.press("Alt+KeyN")
    await page.get_by_label("参加者ID").fill("NOSUCH")
    await page.get_by_role("button", name="入室", exact=True).click()
    alert = page.get_by_role("alert")
    await alert.filter(has_text="見つかりません").wait_for()
    await page.context.close()


async def test_a_screen_that_lost_its_server_catches_up_on_reconnect(browser, tmp_path):
    """Events committed while the browser was disconnected appear once it reconnects."""
    from console.live import eventlog
    from console.session import events as ev
    from tests.conftest import make_server, seed

    url = f"sqlite:///{tmp_path / 'reconnect.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    try:
        page = await logged_in(browser, srv, "manager", meetup.id)
        await page.evaluate("window.__sameDocument = true")
        srv.stop()  # SIGTERM: uvicorn closes the socket with 1012
        await page.locator("#live-connection[data-state=closed]").wait_for()
        # Another worker (here: this test) keeps committing while this screen is away.
        state = eventlog.replay(engine, meetup.id)
        for i in range(3):
            appended = eventlog.append(
                engine,
                meetup_id=meetup.id,
                command_id=f"while-away-{i}",
                fingerprint=eventlog.fingerprint("note", {"text": f"切断中の連絡{i}"}),
                actor_id=1,
                state=state,
                decide=lambda _db, _s, i=i: ev.StaffNotePosted(text=f"切断中の連絡{i}"),
            )
            state = eventlog.apply(state, appended.event)
        srv.start()
        await page.locator("#live-connection[data-state=open]").wait_for(timeout=20_000)
        await page.keyboard.press("Alt+KeyR")  # the staff channel's tab
        notes = page.locator("#notes-list li")
        await notes.filter(has_text="切断中の連絡2").wait_for()
        texts = await notes.locator(".text").all_inner_texts()
        assert texts[:3] == ["切断中の連絡2", "切断中の連絡1", "切断中の連絡0"]
        assert sum(t.startswith("切断中の連絡") for t in texts) == 3
        assert await page.locator("#live-seq").get_attribute("data-seq") == str(state.seq)
        assert await page.evaluate("window.__sameDocument") is True
    finally:
        srv.stop()


async def test_flag_warn_exit_and_block_across_two_screens(browser, server, staff, engine):
    from tests.conftest import new_participant

    person = new_participant(engine, "ブラウザ")
    manager_http = staff("manager")
    assert (
        manager_http.command(1, "enter", participant_code=person.code, space="exchange").status_code
        == 200
    )
    counsellor = await logged_in(browser, server, "counsellor3", 1)
    manager = await logged_in(browser, server, "manager", 1)
    row_id = f"person-{person.id}"

    # The counsellor goes on duty and flags the participant from their row.
    await counsellor.get_by_role("tab", name=re.compile("勤務・入室")).click()
    await counsellor.get_by_label("配置", exact=True).select_option("exchange")
    await counsellor.get_by_role("button", name="勤務開始").click()
    row = counsellor.locator(f"#{row_id}")
    await row.locator("summary").click()
    await row.get_by_label("通報の理由").select_option("abuse")
    await row.get_by_label("通報のメモ").fill("他の参加者を罵倒")
    await row.get_by_role("button", name="通報").click()
    await counsellor.locator("#command-result").filter(has_text="通報しました").wait_for()

    # The manager's moderation panel shows it at once, with its wording and a non-colour cue.
    flag = manager.locator("#moderation-panel li.flag").filter(has_text=person.code)
    await flag.wait_for()
    assert "⚑" in await flag.inner_text() and "他の参加者を罵倒" in await flag.inner_text()
    await flag.locator("summary").click()
    await flag.get_by_label("事前通告で伝えた内容").fill("相手を傷つける言葉はやめましょう")
    await flag.get_by_role("button", name="事前通告を記録").click()
    await manager.locator("#command-result").filter(has_text="事前通告を記録しました").wait_for()
    await flag.wait_for(state="detached")
    await manager.locator(f"#{row_id} .badge.warned").wait_for()

    # Forced exit from the row, then the block from the moderation panel.
    mrow = manager.locator(f"#{row_id}")
    await mrow.locator("summary").click()
    await mrow.get_by_label("強制退室の理由").fill("通告後も罵倒が続いた")
    await mrow.get_by_role("button", name="強制退室").click()
    dialog = manager.get_by_role("dialog", name="強制退室の確認")
    assert person.display_name in await dialog.inner_text()
    await dialog.get_by_role("button", name="強制退室する").click()
    await manager.locator("#command-result").filter(has_text="強制退室を記録しました").wait_for()
    await counsellor.locator(f"#{row_id}").wait_for(state="detached")
    await manager.locator(f"#{row_id}").wait_for(state="detached")
    exited = manager.locator("#moderation-panel .exited li").filter(has_text=person.code)
    await exited.get_by_label("ブロックの理由").fill("繰り返しの暴言")
    await exited.get_by_role("button", name="ブロック").click()
    await (
        manager.get_by_role("dialog", name="ブロックの確認")
        .get_by_role("button", name="ブロックする")
        .click()
    )
    await exited.locator(".badge.blocked").wait_for()
    timeline = await counsellor.locator("#timeline-list").inner_text()
    assert "強制退室となりました" in timeline
    assert "通報" not in timeline  # moderation detail stays with the manager and facilitator
    await counsellor.context.close()
    await manager.context.close()


async def test_consultation_from_queue_to_helpline_email(browser, tmp_path):
    """A participant queues, a counsellor takes them to room 1, ends, writes the record and
    prepares a handoff; another counsellor confirms; the email arrives."""
    import asyncio

    from tests.conftest import Staff, new_participant, seed, start_with_mail
    from tests.smtp import start_smtp

    url = f"sqlite:///{tmp_path / 'e2e-consult.db'}"
    engine, meetup = seed(url)
    srv, smtp_port = start_with_mail(url, tmp_path, HELPLINE_ADDRESS="helpline@example.org")
    controller, inbox = start_smtp(smtp_port)
    try:
        person = new_participant(engine, "相談希望")
        Staff(srv, "support").command(
            meetup.id, "enter", participant_code=person.code, space="exchange"
        )
        page = await logged_in(browser, srv, "counsellor1", meetup.id)
        row = page.locator(f"#person-{person.id}")
        await row.locator("summary").click()
        await row.get_by_role("button", name="相談希望を記録").click()
        waiting = page.locator("#consultation-panel .queue li").filter(has_text=person.display_name)
        await waiting.get_by_label("相談室").select_option("1")
        await waiting.get_by_role("button", name="担当する").click()
        room = page.locator("#room-1")
        await room.filter(has_text=person.display_name).wait_for()
        await room.get_by_label("相談後").select_option("rest")
        await room.get_by_role("button", name="相談を終了").click()
        await page.locator(f"#people-rest #person-{person.id}").wait_for()
        await (
            page.locator("#timeline-list")
            .filter(has_text="個別相談室1の相談が終わりました")
            .wait_for()
        )

        await page.goto(f"{srv.url}/consultations")
        await page.get_by_role("link", name=re.compile(r"^C-\d+$")).first.click()
        await page.get_by_label("相談内容", exact=True).fill("仕事を探したいが外出が不安")
        await page.get_by_label("相談に対する回答").fill("就労支援の窓口を案内した")
        await page.get_by_label("主な相談内容").select_option("就労")
        await page.get_by_label("参加者がひきこもり支援専用相談窓口への共有に同意した").check()
        # A double click sends one request; the page then shows the record as complete, with
        # what was done still said after its reload.
        await page.get_by_role("button", name="記録を完成").dblclick()
        await page.locator("h1").filter(has_text="完成").wait_for()
        await page.locator("#command-result").filter(has_text="相談記録を保存しました").wait_for()
        assert "修正の理由" not in await page.locator("#command-result").inner_text()
        await page.get_by_text("メールで共有する").click()
        await page.get_by_role("button", name="共有内容を作成").click()
        await page.get_by_text("宛先の確認待ち").wait_for()
        await page.locator("#command-result").filter(has_text="共有内容を作成しました").wait_for()
        record_url = page.url

        other = await logged_in(browser, srv, "counsellor2", meetup.id)
        await other.goto(record_url)
        await other.get_by_label(re.compile("窓口のアドレスであることを確認しました")).check()
        await other.get_by_role("button", name="確認して送信").click()
        await other.locator("#command-result").filter(has_text="宛先を確認しました").wait_for()
        for _ in range(100):
            if inbox.messages:
                break
            await asyncio.sleep(0.1)
        assert len(inbox.messages) == 1
        assert "就労" in inbox.messages[0].get_content()
        await page.context.close()
        await other.context.close()

        # Closing before the planned end asks for the reason before the irreversible dialog.
        manager = await logged_in(browser, srv, "manager", meetup.id)
        await manager.get_by_role("button", name="開催を終了").click()
        said = manager.locator("#command-result").filter(has_text="理由を入力してください")
        await said.wait_for()
        reason = manager.get_by_label("理由(予定外の時刻に操作するとき)")
        assert await reason.get_attribute("aria-invalid") == "true"
        assert await reason.evaluate("el => el === document.activeElement")
        assert not await manager.get_by_role("dialog", name="開催終了の確認").is_visible()
        await reason.fill("機材の不調のため")
        await manager.get_by_role("button", name="開催を終了").click()
        dialog = manager.get_by_role("dialog", name="開催終了の確認")
        await dialog.get_by_role("button", name="開催を終了する").click()
        await manager.locator("#command-result").filter(has_text="終了しました").wait_for()
        await manager.context.close()
    finally:
        controller.stop()
        srv.stop()
