"""The live screen in Chromium as a stressed operator uses it (issue 17): live updates never
wipe what a person is doing, a dead connection says so, and a 15-person session fits the
first screen of a 1366×768 laptop."""

import re

import pytest

from tests.board.test_browser import browser, logged_in  # noqa: F401  (the Chromium fixture)
from tests.conftest import Staff, give_factor, make_server, seed

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A server of this module's own over the demo data: a meetup running with 12 present
    (さくら among them) and one open flag (on ほし)."""
    tmp = tmp_path_factory.mktemp("screen")
    url = f"sqlite:///{tmp / 'screen.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, meetup.id, engine
    srv.stop()


def participant(engine, code: str) -> int:
    from sqlmodel import Session

    from console.session.models import Participant, code_lookup

    with Session(engine) as db:
        person: Participant = db.exec(code_lookup(code)).one()
        return person.id


async def focused_id(page) -> str:
    return await page.evaluate("document.activeElement && document.activeElement.id")


async def test_typing_in_a_row_survives_another_screen_marking_that_participant(
    browser,  # noqa: F811
    board,
):
    """The manager types in さくら's 「伝えた内容」; a counsellor marks さくら 聞くだけ."""
    srv, meetup_id, engine = board
    sakura = participant(engine, "P012")
    page = await logged_in(browser, srv, "manager", meetup_id)
    row = page.locator(f"#person-{sakura}")
    await row.locator("summary").click()
    rule = row.get_by_label("事前通告の根拠")
    await rule.select_option("abuse")
    wording = row.get_by_label("伝えた内容")
    await wording.fill("個人が特定される情報は聞かないでください")
    assert await focused_id(page) == f"warn-wording-{sakura}"

    counsellor = Staff(srv, "counsellor1")
    answer = counsellor.command(meetup_id, "mark", participant_id=str(sakura), mark="listening")
    assert answer.status_code == 200, answer.text
    await row.locator(".badge.listening").wait_for()  # the live update has been applied

    assert await wording.input_value() == "個人が特定される情報は聞かないでください"
    assert await rule.input_value() == "abuse"
    assert await row.locator("details").get_attribute("open") is not None
    assert await focused_id(page) == f"warn-wording-{sakura}"
    assert await row.get_by_role("button", name="発言・交流中").count() == 1  # the row did change
    await page.context.close()


async def test_typing_a_warning_on_a_flag_survives_other_flags_and_people_leaving(
    browser,  # noqa: F811
    board,
):
    """The manager types a warning on one flag; another flag is raised, then someone with no
    flag leaves: the text, the open menu and the focus stay."""
    srv, meetup_id, engine = board
    page = await logged_in(browser, srv, "manager", meetup_id)
    flag = page.locator("#moderation-panel li.flag").filter(has_text="ほし")
    flag_id = await flag.get_attribute("id")
    await flag.locator("summary").click()
    wording = flag.get_by_label("事前通告で伝えた内容")
    await wording.fill("勧誘はご遠慮ください")
    field = await focused_id(page)
    assert field.startswith("warn-")

    other = Staff(srv, "facilitator")
    raised = other.command(
        meetup_id,
        "flag",
        participant_id=str(participant(engine, "P003")),
        space="exchange",
        reason="abuse",
    )
    assert raised.status_code == 200, raised.text
    panel = page.locator("#moderation-panel")
    await panel.locator("li.flag").filter(has_text="こまち").wait_for()
    assert (await page.title()).startswith("(通報2件) ")  # the tab shows the open flags
    assert await wording.input_value() == "勧誘はご遠慮ください"
    assert await page.locator(f"#{flag_id} details").get_attribute("open") is not None
    assert await focused_id(page) == field

    leaving = participant(engine, "P001")
    assert other.command(meetup_id, "leave", participant_id=str(leaving)).status_code == 200
    await page.locator(f"#person-{leaving}").wait_for(state="detached")
    assert await wording.input_value() == "勧誘はご遠慮ください"
    assert await page.locator(f"#{flag_id} details").get_attribute("open") is not None
    assert await focused_id(page) == field
    await page.context.close()


async def test_a_row_moved_by_someone_else_keeps_what_was_typed_in_it(
    browser,  # noqa: F811
    board,
):
    srv, meetup_id, engine = board
    person = participant(engine, "P005")
    page = await logged_in(browser, srv, "facilitator", meetup_id)
    row = page.locator(f"#person-{person}")
    await row.locator("summary").click()
    note = row.get_by_label("対応メモ(職員のみ・経過に残ります)")
    await note.fill("休憩を勧めたところ")
    moved = Staff(srv, "support").command(
        meetup_id, "move", participant_id=str(person), space="rest"
    )
    assert moved.status_code == 200, moved.text
    await page.locator(f"#people-rest #person-{person}").wait_for()
    assert await page.locator(f"#person-{person}").count() == 1
    assert await note.input_value() == "休憩を勧めたところ"
    assert await row.locator("details").get_attribute("open") is not None
    assert await focused_id(page) == f"modnote-{person}"
    await page.context.close()


async def test_an_offline_screen_says_it_is_stale_and_catches_up_when_back(
    browser,  # noqa: F811
    tmp_path,
):
    """Offline for two heartbeats: 「接続が不安定です」, then 「再接続中…」, each with the time of
    the last update; back online, the notice clears and what was missed is shown."""
    url = f"sqlite:///{tmp_path / 'offline.db'}"
    _engine, meetup = seed(url)
    srv = make_server(url, tmp_path, LIVE_HEARTBEAT_SECONDS="1").start()
    try:
        page = await logged_in(browser, srv, "manager", meetup.id)
        assert await page.locator(".live").get_attribute("data-heartbeat-seconds") == "1"
        badge = page.locator("#live-connection")
        await page.context.set_offline(True)

        await badge.filter(has_text="接続が不安定です").wait_for(timeout=5_000)
        assert re.search(r"最終更新 \d{1,2}:\d\d:\d\d", await badge.inner_text())
        support = Staff(srv, "support")
        assert support.command(meetup.id, "note", text="オフライン中の連絡").status_code == 200
        await badge.filter(has_text="再接続中…").wait_for(timeout=5_000)
        assert re.search(r"最終更新 \d{1,2}:\d\d:\d\d", await badge.inner_text())
        assert await page.locator("#notes-list li").filter(has_text="オフライン中").count() == 0

        await page.context.set_offline(False)
        await page.locator("#live-connection[data-state=open]").wait_for(timeout=20_000)
        assert "接続中(リアルタイム更新)" in await badge.inner_text()
        assert "最終更新" not in await badge.inner_text()
        await page.keyboard.press("Alt+KeyR")
        await page.locator("#notes-list li").filter(has_text="オフライン中の連絡").wait_for()
        timeline = page.locator("#timeline-list li").first
        assert "スタッフメモが投稿されました" in await timeline.inner_text()
        await page.context.close()
    finally:
        srv.stop()


async def test_all_four_spaces_of_a_15_person_session_fit_the_first_screen_at_1366x768(
    browser,  # noqa: F811
    tmp_path,
):
    url = f"sqlite:///{tmp_path / 'layout.db'}"
    engine, meetup = seed(url)
    srv = make_server(url, tmp_path).start()
    try:
        support = Staff(srv, "support")
        for code in ("P013", "P014", "P015"):  # the demo's other 12 are already in
            answer = support.command(meetup.id, "enter", participant_code=code, space="exchange")
            assert answer.status_code == 200, answer.text
        for code, space in (("P002", "rest"), ("P003", "info")):
            pid = participant(engine, code)
            answer = support.command(meetup.id, "move", participant_id=str(pid), space=space)
            assert answer.status_code == 200, answer.text
        asked = support.command(
            meetup.id, "consult_request", participant_id=str(participant(engine, "P001"))
        )
        taken = Staff(srv, "counsellor1").command(
            meetup.id, "consult_take", request_seq=asked.headers["x-event-seq"], room="1"
        )
        assert taken.status_code == 200, taken.text
        for role in ("manager", "facilitator", "counsellor1", "support", "ward"):
            context = await browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="ja-JP"
            )
            page = await context.new_page()
            await page.goto(f"{srv.url}/login?next=/meetups/{meetup.id}")
            await page.get_by_label("ログインID").fill(role)
            await page.get_by_label("パスワード").fill("demo-pass-2026")
            await page.get_by_role("button", name="ログイン").click()
            await give_factor(page, srv, role)
            await page.locator("#live-connection[data-state=open]").wait_for()
            await page.screenshot(path=str(tmp_path / f"board-{role}-1366x768.png"))
            present = await page.locator("#meetup-status").get_attribute("data-present")
            assert present == "15"
            for space in ("exchange", "consultation", "rest", "info"):
                box = await page.locator(f"#space-{space}").bounding_box()
                assert box is not None, space
                assert box["x"] >= 0 and box["y"] >= 0, (role, space, box)
                assert box["x"] + box["width"] <= 1366, (role, space, box)
                assert box["y"] + box["height"] <= 768, (role, space, box)
            if role != "ward":  # names: every row is drawn inside its space's box
                rows = page.locator("section.space li.person")
                assert await rows.count() == 15
            # The status bar counts each space, in text.
            status = await page.locator("#meetup-status").inner_text()
            for label, count in (("交流", 10), ("個別相談室", 1), ("休憩", 2), ("情報提供", 2)):
                assert re.search(rf"{label}\s*{count}名", status), (role, label, status)
            await context.close()
    finally:
        srv.stop()


async def test_forced_exit_asks_first_by_keyboard_naming_the_participant_and_the_consequence(
    browser,  # noqa: F811
    board,
):
    from tests.conftest import new_participant

    srv, meetup_id, engine = board
    person = new_participant(engine, "確認")
    manager_http = Staff(srv, "manager")
    entered = manager_http.command(
        meetup_id, "enter", participant_code=person.code, space="exchange"
    )
    assert entered.status_code == 200
    page = await logged_in(browser, srv, "manager", meetup_id)
    row = page.locator(f"#person-{person.id}")
    await row.locator("summary").focus()
    await page.keyboard.press("Enter")
    reason = row.get_by_label("強制退室の理由")
    assert await reason.get_attribute("required") is not None  # warned or not, a reason
    await reason.focus()
    await page.keyboard.type("脅迫があったため")
    await row.get_by_label("即時(事前通告なし:脅迫・危険がある場合のみ)").check()
    await reason.focus()
    await page.keyboard.press("Enter")  # submits the form: the dialog asks first
    dialog = page.get_by_role("dialog", name="強制退室の確認")
    await dialog.wait_for()
    text = await dialog.inner_text()
    assert person.display_name in text and person.code in text
    assert "区へ報告" in text and "取り消せません" in text
    assert await focused_id(page) == ""  # on 「やめる」, the safe answer (it has no id)
    assert await page.evaluate("document.activeElement.textContent") == "やめる"
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")
    assert await focused_id(page) == f"exit-reason-{person.id}"  # back where the person was
    assert await row.count() == 1  # nothing happened
    assert await reason.input_value() == "脅迫があったため"

    await page.keyboard.press("Enter")
    await dialog.wait_for()
    await page.keyboard.press("Shift+Tab")  # to 「強制退室する」
    assert await page.evaluate("document.activeElement.textContent") == "強制退室する"
    await page.keyboard.press("Enter")
    await row.wait_for(state="detached")
    await page.locator("#command-result").filter(has_text="強制退室を記録しました").wait_for()
    await page.context.close()


async def test_new_flags_are_announced_politely_to_others_and_counted_in_the_title(
    browser,  # noqa: F811
    board,
):
    srv, meetup_id, engine = board
    manager = await logged_in(browser, srv, "manager", meetup_id)
    facilitator = await logged_in(browser, srv, "facilitator", meetup_id)
    region = manager.locator("#live-announce")
    assert await region.get_attribute("aria-live") == "polite"
    before = await manager.title()
    person = participant(engine, "P006")
    row = facilitator.locator(f"#person-{person}")
    await row.locator("summary").click()
    await row.get_by_label("通報の理由").select_option("abuse")
    await row.get_by_role("button", name="通報").click()
    await facilitator.locator("#command-result").filter(has_text="通報しました").wait_for()
    await region.filter(has_text="新しい通報: みなと(P006)").wait_for()
    count = int(re.match(r"\(通報(\d+)件\)", await manager.title()).group(1))
    assert count == int(re.match(r"\(通報(\d+)件\)", before).group(1)) + 1
    # The one who raised it reads the answer to their command, not a second announcement.
    line = facilitator.locator("#timeline-list li").filter(has_text="「みなと」さんについて通報")
    await line.wait_for()  # the frame that carried the cue has been applied
    assert "みなと" not in await facilitator.locator("#live-announce").inner_text()
    # The sound is off until this staff member turns it on; the choice stays on this device.
    sound = manager.get_by_label(re.compile("音でも知らせる"))
    assert not await sound.is_checked()
    await manager.get_by_text("通知の設定").click()
    await sound.check()
    await manager.reload()
    await manager.get_by_text("通知の設定").click()
    assert await manager.get_by_label(re.compile("音でも知らせる")).is_checked()
    await manager.context.close()
    await facilitator.context.close()


def _contrast(a: str, b: str) -> float:
    """WCAG contrast of two computed `rgb(r, g, b)` colours."""

    def luminance(colour: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+", colour)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_the_menus_other_entries_work_by_keyboard_and_its_focus_ring_shows(
    browser,  # noqa: F811
    board,
):
    srv, meetup_id, _ = board
    page = await logged_in(browser, srv, "manager", meetup_id)
    summary = page.locator("details.more > summary")
    await summary.focus()
    ring = await summary.evaluate("el => getComputedStyle(el).outlineColor")
    bar = await page.locator(".topbar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert _contrast(ring, bar) >= 3, (ring, bar)  # WCAG 1.4.11 on the dark bar
    await page.keyboard.press("Enter")
    assert await page.locator("details.more").get_attribute("open") is not None
    await page.keyboard.press("Tab")  # into its list
    await page.keyboard.press("Escape")
    assert await page.locator("details.more").get_attribute("open") is None
    assert await summary.evaluate("el => el === document.activeElement")
    await page.keyboard.press("Enter")
    entries = await page.locator("details.more li a").count()
    for _ in range(entries + 1):  # Tab past the last entry: focus leaves, the list closes
        await page.keyboard.press("Tab")
    assert await page.locator("details.more").get_attribute("open") is None
    await page.context.close()
