"""The report pages and downloads on a real server: who sees which variant, audit, and the
draft → finalised → correction flow through the forms."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from console.live.models import Meetup
from console.reports.figures import SessionFigures
from console.reports.models import FiguresCache, MonthlyReport
from console.security.models import AuditEntry, Staff
from console.session.models import Participant
from console.store.db import transaction
from tests.conftest import new_meetup
from tests.scripted import NOTE, main_script, make_meetup, play

DAY = date(2024, 6, 16)


@pytest.fixture(scope="module")
def closed(engine):
    """A closed, scripted session in June 2024 on the shared server's database."""
    with transaction(engine) as db:
        people = {}
        for key in "ABC":
            person = Participant(
                code=f"PAGES-{key}", display_name=f"ページ用{key}", district="azabu"
            )
            db.add(person)
            db.flush()
            people[key] = person.id
        staff = {s.login_id: s.id for s in db.exec(select(Staff))}
    meetup = make_meetup(engine, DAY)
    play(engine, meetup, main_script(DAY, people, staff, record_id=999_999))
    return meetup


def form(client, path: str, **data):
    return client.http.post(path, data={"csrf_token": client.csrf, **data})


def test_the_summary_page_by_role(staff, closed):
    manager, ward, facilitator = staff("manager"), staff("ward"), staff("facilitator")
    mine = manager.http.get(f"/meetups/{closed}/summary")
    assert mine.status_code == 200
    assert "開催後の集計" in mine.text and NOTE in mine.text and "<svg" in mine.text
    theirs = ward.http.get(f"/meetups/{closed}/summary")
    assert theirs.status_code == 200 and "開催後の集計" in theirs.text
    assert NOTE not in theirs.text and "ページ用" not in theirs.text
    assert ward.http.get(f"/meetups/{closed}/summary?for=manager").status_code == 403
    assert ward.http.get(f"/meetups/{closed}/summary.csv?for=manager").status_code == 403
    assert facilitator.http.get(f"/meetups/{closed}/summary").status_code == 403
    odd = manager.http.get(f"/meetups/{closed}/summary?for=nonsense")
    assert odd.status_code == 400 and "表示の種類が正しくありません" in odd.text
    assert manager.http.get("/meetups/987654/summary").status_code == 404
    assert manager.http.get(f"/meetups/{closed}/summary.doc").status_code == 404


def test_downloads_carry_the_variant_and_are_audited(staff, closed, engine):
    ward = staff("ward")
    public = ward.http.get(f"/meetups/{closed}/summary.csv?for=publication")
    assert public.status_code == 200
    assert public.headers["content-type"].startswith("text/csv")
    assert public.headers["content-disposition"].endswith('_public.csv"')
    assert public.content.startswith(b"\xef\xbb\xbf")
    text = public.content.decode("utf-8-sig")
    assert "うち途中参加,3未満" in text and "ページ用" not in text
    exact = ward.http.get(f"/meetups/{closed}/summary.xlsx")
    book = load_workbook(io.BytesIO(exact.content))
    rows = {r[0]: r[1] for r in book["参加状況"].iter_rows(min_row=4, values_only=True)}
    assert rows["うち途中参加"] == 2
    pdf = ward.http.get(f"/meetups/{closed}/summary.pdf")
    assert pdf.content.startswith(b"%PDF-")
    with Session(engine) as db:
        actions = set(
            db.exec(
                select(AuditEntry.action).where(col(AuditEntry.target).like(f"meetup:{closed}:%"))
            )
        )
    assert {"summary.csv", "summary.xlsx", "summary.pdf"} <= actions


def test_monthly_draft_finalise_and_correct_through_the_forms(staff, closed, engine):
    manager, ward = staff("manager"), staff("ward")
    base = f"/monthly/{DAY.year}/{DAY.month}"
    assert ward.http.get(base).status_code == 404  # nothing finalised: the ward waits
    draft = manager.http.get(base)
    assert draft.status_code == 200 and "未保存の下書き" in draft.text
    assert "6/16(日) メタバース居場所" in draft.text
    # The draft as it stands, before any save; the manager's variant is a recorded take-out.
    assert manager.take_out(f"{base}/v1.csv", " ").status_code == 422  # no reason given
    # Never by a link: the reason would sit in the URL, the server's log and the history.
    by_link = manager.http.get(f"{base}/v1.csv", params={"reason": "報告書の確認"})
    assert by_link.status_code == 400 and "フォームで持ち出しの理由を入力" in by_link.text
    unsaved = manager.take_out(f"{base}/v1.csv", "報告書の確認")
    assert unsaved.status_code == 200 and "月次報告書 2024年6月分" in unsaved.content.decode(
        "utf-8-sig"
    )
    assert ward.http.get(f"{base}/v1.csv").status_code == 404
    assert form(manager, f"{base}/text", notable="x" * 4001).status_code == 422
    assert form(manager, f"{base}/text", notable="特記事項あり", ward_items="").status_code == 303
    assert ward.http.get(f"{base}/v1.csv").status_code == 404  # drafts stay with the manager
    stale = form(manager, f"{base}/finalise", version="2", agree="on")
    assert stale.status_code == 409  # a stale page
    unticked = manager.http.post(  # final: it asks first, and the refusal leads back
        f"{base}/finalise",
        data={"csrf_token": manager.csrf, "version": "1"},
        headers={"Referer": f"{manager.server.url}{base}"},
    )
    assert unticked.status_code == 422 and "確認のチェック" in unticked.text
    assert f'<a href="{base}">前のページへ戻る</a>' in unticked.text
    assert ward.http.get(base).status_code == 404  # so nothing was finalised
    assert form(manager, f"{base}/finalise", version="1", agree="on").status_code == 303
    shown = ward.http.get(base)
    assert shown.status_code == 200 and "特記事項あり" in shown.text and "確定済み" in shown.text
    assert form(ward, f"{base}/text", notable="区が書き換え").status_code == 403
    refused = form(manager, f"{base}/text", notable="書き換え", ward_items="")
    assert refused.status_code == 409 and "確定済み" in refused.text
    with Session(engine) as db:
        rows = db.exec(select(MonthlyReport).where(MonthlyReport.year == DAY.year)).all()
        assert [(r.version, r.status, r.notable) for r in rows] == [(1, "final", "特記事項あり")]
    assert form(manager, f"{base}/correct", reason="").status_code == 422
    assert form(manager, f"{base}/correct", reason="記述の訂正").status_code == 303
    assert form(manager, f"{base}/text", notable="特記事項を訂正", ward_items="").status_code == 303
    v2 = manager.http.get(base)
    assert "第1版からの変更点" in v2.text and "記述の訂正" in v2.text
    assert re.search(r"特記事項あり</td><td>特記事項を訂正", v2.text)
    assert "特記事項あり" in ward.http.get(base).text  # the ward still reads version 1
    csv_v1 = ward.http.get(f"{base}/v1.csv")
    assert csv_v1.status_code == 200 and "特記事項あり" in csv_v1.content.decode("utf-8-sig")
    index = manager.http.get(f"/monthly?fy={DAY.year}")
    assert "第2版 下書き" in index.text and "2024年6月分" in index.text
    assert manager.http.get("/monthly/2024/13").status_code == 404


def test_a_closed_sessions_dashboard_links_to_its_summary(staff, closed, engine):
    with Session(engine) as db:
        assert db.get(Meetup, closed).status == "closed"
    link = f'href="/meetups/{closed}/summary"'
    assert link in staff("manager").http.get(f"/meetups/{closed}").text
    assert link in staff("ward").http.get(f"/meetups/{closed}").text
    assert link not in staff("facilitator").http.get(f"/meetups/{closed}").text


def test_closing_a_session_keeps_its_figures_for_the_reports(staff, engine):
    meetup_id = new_meetup(engine)
    manager = staff("manager")
    manager.command(meetup_id, "start", reason="早めに開始")
    manager.command(meetup_id, "enter", participant_code="P005", space="exchange")
    with Session(engine) as db:
        assert db.get(FiguresCache, meetup_id) is None  # open: nothing kept yet
    assert manager.command(meetup_id, "close", reason="早めに終了").status_code == 200
    with Session(engine) as db:
        kept = db.get(FiguresCache, meetup_id)
        assert kept is not None and kept.last_seq == db.get(Meetup, meetup_id).last_seq
        assert len(SessionFigures.from_json(kept.data).participants) == 1


def pdf_text(data: bytes) -> str:
    import pypdf

    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> set[str]:
    import pypdf

    fonts = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        used = page["/Resources"]["/Font"]
        fonts |= {str(used[key].get_object()["/BaseFont"]) for key in used}
    return fonts


def test_every_pdf_says_what_it_is_when_it_was_made_by_whom_and_for_whom(staff, closed):
    manager, ward = staff("manager"), staff("ward")
    base = "/monthly/2024/9"
    assert form(manager, f"{base}/text", notable="", ward_items="").status_code == 303
    assert form(manager, f"{base}/finalise", version="1", agree="on").status_code == 303
    pdfs = {
        "summary": ward.http.get(f"/meetups/{closed}/summary.pdf"),
        "draft": manager.http.get("/monthly/2024/8/v1.pdf?for=ward"),
        "final": ward.http.get(f"{base}/v1.pdf"),
    }
    for kind, response in pdfs.items():
        assert response.status_code == 200, (kind, response.text[:200])
        text = pdf_text(response.content)
        flat = re.sub(r"\s", "", text)
        assert "版" in text and "作成日" in text and "対象期間" in text, kind
        assert ("下書き" if kind == "draft" else "確定") in text, kind
        assert "港区保健福祉支援部生活福祉調整課御中" in flat, kind  # the addressee (a setting)
        assert "発行受託事業者" in flat, kind  # the issuing operator (a setting)
        assert re.search(r"(?<!\d)1 / \d+", text), kind  # 「1 / 3」
        assert all("Noto-Sans-CJK-JP" in font for font in pdf_fonts(response.content)), kind
    assert re.search(
        r"確定\(\d{4}年\d{1,2}月\d{1,2}日\(.\) \d\d:\d\d 開催終了\)",
        pdf_text(pdfs["summary"].content),
    )
    assert re.search(
        r"確定\(\d{4}年\d{1,2}月\d{1,2}日\(.\) \d\d:\d\d 確定\)", pdf_text(pdfs["final"].content)
    )
    assert "2024年9月1日(日)〜2024年9月30日(月)" in pdf_text(pdfs["final"].content)


def test_the_ward_sees_only_months_with_a_finalised_report(staff):
    manager, ward = staff("manager"), staff("ward")
    base = "/monthly/2023/5"
    assert form(manager, f"{base}/text", notable="", ward_items="").status_code == 303
    assert form(manager, f"{base}/finalise", version="1", agree="on").status_code == 303
    theirs = ward.http.get("/monthly?fy=2023").text
    assert 'href="/monthly/2023/5"' in theirs and "第1版 確定" in theirs
    assert 'href="/monthly/2023/4"' not in theirs and 'href="/monthly/2024/3"' not in theirs
    for month in re.findall(r'href="/monthly/(\d{4}/\d{1,2})"', theirs):
        assert ward.http.get(f"/monthly/{month}").status_code == 200  # no link leads to a 404
    mine = manager.http.get("/monthly?fy=2023").text
    assert 'href="/monthly/2023/4"' in mine and 'href="/monthly/2024/3"' in mine
    assert "確定した月次報告書はまだありません" in ward.http.get("/monthly?fy=2022").text
    assert form(manager, f"{base}/correct", reason="数値の確認").status_code == 303
    assert "第1版 確定" in ward.http.get("/monthly?fy=2023").text  # not the draft correction
