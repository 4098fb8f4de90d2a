"""The whole survey in Debian's Chromium (issue 14): the manager drafts, the ward approves,
the manager attaches it to a session; one participant answers with the keyboard alone and
without JavaScript, two more by plain HTTP, and staff type in one paper answer; the session's
figures and monthly report ② then equal the values worked out by hand, and nothing the ward
receives (pages and exports) carries a word of free text. Plus axe on the participants' page."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import Staff, give_factor, make_server, seed
from tests.intake.test_apply_browser import AXE, chromium, tab_to  # noqa: F401  (fixture)
from tests.surveys.test_surveys import (
    SECRET,
    Answerer,
    approved_questionnaire,
    attach,
    closed_session,
    form,
)

pytestmark = pytest.mark.browser
DAY = date(2023, 9, 10)
FREE_TEXTS = ("とても安心できました", SECRET, "紙でいただいた感想")


@pytest.fixture
def surveyed(tmp_path):
    url = f"sqlite:///{tmp_path / 'surveyed.db'}"
    engine, _ = seed(url)
    server = make_server(url, tmp_path, SURVEY_DAYS_OPEN="36500").start()
    manager, ward = Staff(server, "manager"), Staff(server, "ward")
    questionnaire = approved_questionnaire(manager, ward, engine)
    meetup = closed_session(engine, DAY, participants=5)
    token = attach(manager, engine, meetup, questionnaire)
    yield server, manager, ward, meetup, token
    server.stop()


async def answer_with_the_keyboard(chromium, url: str) -> None:  # noqa: F811
    context = await chromium.new_context(java_script_enabled=False, locale="ja-JP")
    page = await context.new_page()
    await page.goto(url)
    await tab_to(page, "#q0")  # the scale: 1 … 5 by the arrow keys
    for _ in range(4):
        await page.keyboard.press("ArrowRight")
    await tab_to(page, "#q1")  # はい
    await page.keyboard.press("Space")
    await tab_to(page, "#q2")  # 交流スペース
    await page.keyboard.press("Space")
    await tab_to(page, "#q2-2")  # 休憩スペース
    await page.keyboard.press("Space")
    await tab_to(page, "#q3")
    await page.keyboard.type(FREE_TEXTS[0])
    await tab_to(page, "button[type=submit]")
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="ご回答ありがとうございました").wait_for()
    await context.close()


def enter_on_paper(manager: Staff, meetup: int, answers: dict[str, list[str]]):
    screen = manager.http.get(f"/meetups/{meetup}/survey/entry")
    assert screen.status_code == 200 and "autofocus" in screen.text
    token = re.search(r'name="token" value="([^"]+)"', screen.text)[1]
    data = {"csrf_token": [manager.csrf], "token": [token], "how": ["paper"], **answers}
    return manager.http.post(f"/meetups/{meetup}/survey/entry", data=data)


async def test_answers_add_up_to_the_hand_computed_figures_and_report(chromium, surveyed):  # noqa: F811
    server, manager, ward, meetup, token = surveyed
    await answer_with_the_keyboard(chromium, f"{server.url}/survey/{token}")
    person = Answerer(server.url, token)
    assert person.send([("q0", "4"), ("q1", "0"), ("q2", "0")]).status_code == 200
    assert person.send([("q0", "2"), ("q1", "2"), ("q3", SECRET)]).status_code == 200
    saved = enter_on_paper(
        manager, meetup, {"q0": ["4"], "q1": ["1"], "q2": ["1"], "q3": [FREE_TEXTS[2]]}
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=1")
    # By hand: 5 participants, 4 responses → 80.0%; scale 5, 4, 2, 4 → mean 3.75, median 4;
    # はい 2, いいえ 1, わからない 1; 交流 2, 相談室 1, 休憩 1; free text 3.
    expected = [
        "参加者数,5,5",
        "回答数,4,4",
        "回答率,80.0%,80.0%",
        "今日の会はいかがでしたか:1(よくなかった),0,0",
        "今日の会はいかがでしたか:2,1,1",
        "今日の会はいかがでしたか:4,2,2",
        "今日の会はいかがでしたか:5(とてもよかった),1,1",
        "今日の会はいかがでしたか:平均,3.75,3.75",
        "今日の会はいかがでしたか:中央値,4.00,4.00",
        "次回も参加したいですか:はい,2,2",
        "次回も参加したいですか:いいえ,1,1",
        "次回も参加したいですか:わからない,1,1",
        "よかった場所を選んでください:交流スペース,2,2",
        "よかった場所を選んでください:相談室,1,1",
        "ご意見・ご感想をお聞かせください:記入数,3,3",
    ]
    results = manager.http.get(f"/meetups/{meetup}/survey/results")
    assert results.status_code == 200
    for text in ("80.0%", "3.75", "4.00", "うち代替回答 1件", *FREE_TEXTS):
        assert text in results.text, text
    ward_results = ward.http.get(f"/meetups/{meetup}/survey/results")
    assert ward_results.status_code == 200 and "80.0%" in ward_results.text
    assert not any(t.encode() in ward_results.content for t in FREE_TEXTS)

    base = f"/monthly/{DAY.year}/{DAY.month}"
    assert form(manager, f"{base}/text", notable="", ward_items="").status_code == 303
    assert form(manager, f"{base}/finalise", version="1", agree="on").status_code == 303
    mine = (
        manager.take_out(f"{base}/v1.csv", "集計の確認")
        .content.decode("utf-8-sig")
        .replace("\r\n", "\n")
    )
    for line in expected:
        assert f"\n{line}\n" in mine, line
    assert all(t in mine for t in FREE_TEXTS)
    public = ward.http.get(f"{base}/v1.csv?for=publication").content.decode("utf-8-sig")
    assert "よかった場所を選んでください:相談室,3未満,3未満" in public
    assert "回答数,4,4" in public and "今日の会はいかがでしたか:平均,3.75,3.75" in public

    for variant in ("", "?for=publication"):
        received = [ward.http.get(f"{base}{variant}")]
        received += [ward.http.get(f"{base}/v1.{fmt}{variant}") for fmt in ("csv", "xlsx", "pdf")]
        received.append(ward.http.get(f"/surveys/trends?fy=2023{variant.replace('?', '&')}"))
        assert all(r.status_code == 200 for r in received), [r.status_code for r in received]
        for r in received:
            assert not any(t.encode() in r.content for t in FREE_TEXTS), r.url
        sheets = load_workbook(io.BytesIO(received[2].content))
        cells = " ".join(str(c.value) for ws in sheets for row in ws.iter_rows() for c in row)
        assert "80.0%" in cells and not any(t in cells for t in FREE_TEXTS)
        pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(received[3].content)).pages)
        assert "アンケート" in pdf and not any(t in pdf for t in FREE_TEXTS)
    trends = manager.http.get("/surveys/trends?fy=2023")
    assert "<svg" in trends.text and "3.75" in trends.text


async def test_the_answer_page_has_no_serious_accessibility_violations(chromium, surveyed):  # noqa: F811
    server, manager, _, meetup, token = surveyed
    context = await chromium.new_context(locale="ja-JP", bypass_csp=True)
    page = await context.new_page()
    found = {}
    for path, submit in ((f"/survey/{token}", False), (f"/survey/{token}", True)):
        await page.goto(f"{server.url}{path}")
        if submit:  # with every error shown
            await page.locator("button[type=submit]").click()
            await page.wait_for_load_state()
            assert await page.locator("#error-summary").count() == 1
        await page.add_script_tag(path=str(AXE))
        result = await page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        found[(path, submit)] = [
            v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]
    await context.close()
    assert all(not v for v in found.values()), found


async def test_paper_answers_are_typed_in_one_after_another_without_the_mouse(chromium, surveyed):  # noqa: F811
    server, manager, _, meetup, _ = surveyed
    context = await chromium.new_context(locale="ja-JP")
    page = await context.new_page()
    await page.goto(f"{server.url}/login?next=/meetups/{meetup}/survey/entry")
    await page.get_by_label("ログインID").fill("support")
    await page.get_by_label("パスワード").fill("demo-pass-2026")
    await page.keyboard.press("Enter")
    await give_factor(page, server, "support")
    await page.get_by_role("heading", name="代替回答の入力").wait_for()
    for sheet in range(2):
        # The first question has the focus as the screen opens, and again after each save.
        await page.wait_for_function("document.activeElement?.id === 'q0'", timeout=5000)
        await page.keyboard.press("Space")  # 1
        await page.keyboard.press("ArrowRight")  # 2
        await tab_to(page, "#q1")
        await page.keyboard.press("Space")
        await tab_to(page, "#how")  # 紙の回答用紙, kept from one sheet to the next
        await tab_to(page, "main button[type=submit]")
        await page.keyboard.press("Enter")
        await page.get_by_text(f"保存しました(回答 {sheet + 1}件)").wait_for()
    await context.close()
    results = manager.http.get(f"/meetups/{meetup}/survey/results")
    assert "回答 2件(うち代替回答 2件)" in results.text
    assert "今日の会はいかがでしたか:2</th><td>2</td>" in results.text.replace("\n", "")
