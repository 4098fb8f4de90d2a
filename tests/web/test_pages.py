"""Pages that behave: error pages keep the menu and say what happened, the menu marks the
current page, the calendar says which day is today."""

import re


def test_a_missing_page_keeps_the_menu_and_says_it_is_not_found(staff, server):
    import httpx

    manager = staff("manager")
    missing = manager.http.get("/no/such/page")
    assert missing.status_code == 404
    assert "ページが見つかりません" in missing.text
    assert 'aria-label="メインメニュー"' in missing.text and "ログアウト" in missing.text
    assert "操作を完了できませんでした" not in missing.text
    gone = manager.http.get("/consultations/987654")
    assert gone.status_code == 404 and "ページが見つかりません" in gone.text
    assert "相談記録が見つかりません" in gone.text and "ログアウト" in gone.text
    anonymous = httpx.get(f"{server.url}/no/such/page")
    assert anonymous.status_code == 404 and "ページが見つかりません" in anonymous.text
    assert "ログアウト" not in anonymous.text and 'href="/login"' in anonymous.text


def test_a_forbidden_page_keeps_the_menu_and_says_it_is_not_allowed(staff):
    ward = staff("ward")
    refused = ward.http.get("/blocks")
    assert refused.status_code == 403
    assert "権限がありません" in refused.text and "ページが見つかりません" not in refused.text
    assert 'aria-label="メインメニュー"' in refused.text and "ログアウト" in refused.text
    assert 'href="/monthly"' in refused.text  # the ward's own menu
    assert 'href="/blocks"' not in refused.text


def test_the_menu_marks_the_current_page(staff):
    manager = staff("manager")
    schedule = manager.http.get("/schedule").text
    assert '<a href="/schedule" aria-current="page">年間予定</a>' in schedule
    assert '<a href="/" aria-current' not in schedule
    board = manager.http.get("/meetups/1").text
    assert '<a href="/" aria-current="true">開催回一覧</a>' in board
    assert len(re.findall(r"aria-current=", board.split("</nav>")[0])) == 1


def test_the_calendar_marks_today_in_words(staff):
    page = staff("facilitator").http.get("/schedule").text
    today = re.search(r'<td class="[^"]*today[^"]*">(.*?)</td>', page, re.S).group(1)
    assert "今日" in today


def test_a_long_menu_keeps_its_less_used_entries_under_one_disclosure(staff):
    """The manager's 13 entries would wrap the bar on a laptop: the less used ones sit under
    「その他」, which names the current one when you are on it; a short menu stays flat."""
    manager = staff("manager")
    board = manager.http.get("/meetups/1").text
    nav = board[board.index('aria-label="メインメニュー"') : board.index("</nav>")]
    more = nav[nav.index('<details class="more">') :]
    assert "<summary>その他</summary>" in more
    for href in ("/blocks", "/monthly", "/security/audit"):
        assert f'href="{href}"' in more
    for href in ("/schedule", "/consultations", "/care"):
        assert f'href="{href}"' in nav and f'href="{href}"' not in more
    blocks = manager.http.get("/blocks").text
    assert '<summary class="current">その他: ブロック</summary>' in blocks
    assert '<a href="/blocks" aria-current="page">ブロック</a>' in blocks
    ward = staff("ward").http.get("/").text
    assert 'href="/monthly"' in ward and '<details class="more">' not in ward


def test_a_passkey_post_sent_as_a_plain_form_is_refused_not_a_server_error(staff):
    """The passkey endpoints take the page script's JSON; a form post (its CSRF token in the
    body, read already) once failed with 'Stream consumed'."""
    manager = staff("manager")
    for path in ("/security/passkeys", "/security/passkeys/options"):
        got = manager.http.post(path, data={"csrf_token": manager.csrf})
        assert got.status_code in (200, 415), (path, got.status_code, got.text)
    got = manager.http.post("/security/passkeys", data={"csrf_token": manager.csrf})
    assert got.status_code == 415
    assert got.json()["error"] == "パスキーの操作は、このページのボタンから行ってください。"


def test_a_wrong_method_a_malformed_public_path_or_an_oversize_body_is_answered_in_japanese(
    staff, server
):
    import httpx

    manager = staff("manager")
    wrong = manager.http.get("/care/liaison/pdf")
    assert wrong.status_code == 405 and "その操作はできません" in wrong.text
    assert "ログアウト" in wrong.text and "Method Not Allowed" not in wrong.text
    assert "POST" in wrong.headers["allow"]
    for method, path in (("PUT", "/apply/metaverse"), ("DELETE", "/entry/1")):
        public = httpx.request(method, f"{server.url}{path}")
        assert public.status_code == 405 and "その操作はできません" in public.text, path
        assert "お申込みのページへ戻る" in public.text and "セッションコンソール" not in public.text
    for path in ("/entry/abc", "/entry/-1", "/survey/"):
        missing = httpx.get(f"{server.url}{path}")
        assert missing.status_code == 404 and "お探しのページは見つかりません" in missing.text
        assert "お申込みのページへ戻る" in missing.text and "ログイン画面へ" not in missing.text
    with httpx.Client(base_url=server.url) as visitor:
        form = visitor.get("/apply/metaverse").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        fields = {"csrf_token": (None, token), "name": (None, "あ" * 400_000)}
        huge = visitor.post("/apply/metaverse", files=fields)
    assert huge.status_code == 400 and "受け付けられませんでした" in huge.text
    assert "exceeded" not in huge.text and "お申込みのページへ戻る" in huge.text


def test_a_refused_form_links_back_to_its_page_even_when_it_posts_to_its_own_address(staff):
    manager = staff("manager")
    here = f"{manager.server.url}/security/staff"
    taken = manager.http.post(
        "/security/staff",
        data={"csrf_token": manager.csrf, "login_id": "manager", "display_name": "二人目"},
        headers={"Referer": here},
    )
    assert 400 <= taken.status_code < 500
    assert '<a href="/security/staff">前のページへ戻る</a>' in taken.text
    elsewhere = manager.http.post(
        "/security/staff",
        data={"csrf_token": manager.csrf, "login_id": "manager", "display_name": "二人目"},
        headers={"Referer": f"{manager.server.url}//evil.example/x"},
    )
    assert "前のページへ戻る" not in elsewhere.text  # never a link off the site


def test_a_login_sent_from_a_filtered_page_comes_back_to_it_with_its_filters(server):
    import httpx

    answer = httpx.get(f"{server.url}/security/audit?kind=login&staff=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/security/audit%3Fkind%3Dlogin%26staff%3D1"
    form = httpx.get(f"{server.url}{answer.headers['location']}").text
    assert 'value="/security/audit?kind=login&amp;staff=1"' in form
