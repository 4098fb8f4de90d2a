"""Post-session summary and monthly report: figures from a scripted log, hand-computed here;
the three audiences; exports checked on their bytes; finalised versions never change."""

import csv
import io
import uuid
import zipfile
from datetime import date, datetime, time, timedelta

import pypdf
import pypdfium2
import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from console.consultations import events as cev
from console.consultations.models import ConsultationRecord
from console.core.errors import Refused
from console.demo import seed as seed_demo
from console.intake.models import Application, Person, TermsVersion
from console.intake.personal import PersonalData, email_match, name_birth_match, seal
from console.intake.towns import district_of
from console.live import eventlog
from console.live.events import Body
from console.live.models import Meetup
from console.reports import exports, monthly
from console.reports.documents import SMALL, differences
from console.reports.figures import SessionFigures, session_figures
from console.reports.inputs import figures_of, staff_roster
from console.reports.issue import DRAFT, Issue
from console.reports.models import FiguresCache, MonthlyReport
from console.reports.monthly_document import FreeText, build_monthly
from console.reports.summary import build_summary
from console.security.models import Staff
from console.session.models import Participant
from console.session.vocab import spaces_of
from console.settings import TZ
from console.store.db import make_engine, transaction
from console.store.schema import migrate
from tests.scripted import NOTE, jst, main_script, make_meetup, play, short_script

DAY = date(2025, 10, 19)
METAVERSE_SPACES = spaces_of("metaverse")
NAMES = {
    "A": "秘密のあかね",
    "B": "秘密のぼたん",
    "C": "秘密のちさと",
    "D": "秘密のでんじ",
    "E": "秘密のえま",
}
ATTRS = {  # age bracket, district
    "A": ("20s", "shiba"),
    "B": ("20s", "azabu"),
    "C": ("30s", "shiba"),
    "D": ("40s", "takanawa"),
    "E": ("20s", "shiba"),
}
CONTENT = "相談本文ひみつ: 家族との関係について"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('reports') / 'reports.db'}")
    migrate(engine)
    seed_demo(engine)
    with transaction(engine) as db:
        people = {}
        for key, name in NAMES.items():
            person = Participant(
                code=f"SECRET-{key}",
                display_name=name,
                age_bracket=ATTRS[key][0],
                district=ATTRS[key][1],
            )
            db.add(person)
            db.flush()
            people[key] = person.id
        staff = {s.login_id: s.id for s in db.exec(select(Staff))}
    main = make_meetup(engine, DAY)
    with transaction(engine) as db:
        record = ConsultationRecord(
            meetup_id=main,
            start_seq=0,
            room=1,
            participant_id=people["A"],
            counsellor_id=staff["counsellor1"],
            started_at=jst(DAY, "14:45"),
            content=CONTENT,
            topic="就労",
            complete=True,
        )
        db.add(record)
        db.flush()
        record_id = record.id
    play(engine, main, main_script(DAY, people, staff, record_id))
    # A second session the same month (A again, and D), and one in September (E).
    second = make_meetup(engine, DAY + timedelta(days=7))
    play(engine, second, short_script(DAY + timedelta(days=7), [people["A"], people["D"]], staff))
    earlier = make_meetup(engine, date(2025, 9, 21))
    play(engine, earlier, short_script(date(2025, 9, 21), [people["E"]], staff))
    return engine, people, staff, main, record_id


def figures(world):
    engine, _, _, main, _ = world
    with Session(engine) as db:
        return figures_of(db, db.get(Meetup, main), staff_roster(db))


def summary(world):
    engine, _, _, main, _ = world
    with Session(engine) as db:
        return build_summary(db, main)


def value(document, table_key: str, label: str, column: int = 0):
    table = next(t for t in document.tables if t.key == table_key)
    row = next(r for r in table.rows if r.label == label)
    return row.cells[column]


def test_the_scripted_session_gives_the_hand_computed_figures(world):
    f = figures(world)
    _, p, _, _, _ = world
    assert f.participants == {p["A"], p["B"], p["C"]}
    assert f.late_joiners == {p["B"], p["C"]}  # 14:20 and 15:00; A came at 13:50
    assert (f.peak, f.peak_at) == (3, jst(DAY, "15:00"))
    # A: exchange 13:50-14:30 (40) + 15:10-17:00 (110); info 14:30-14:45 (15);
    #    consultation 14:45-15:10 (25). B: rest 14:20-15:40 (80), exchange 16:00-17:00 (60).
    # C: exchange 15:00-15:30 (30), then forced out.
    assert {s: f.minutes(s) for s in METAVERSE_SPACES} == {
        "exchange": 40 + 110 + 60 + 30,
        "consultation": 25,
        "rest": 80,
        "info": 15,
    }
    assert {s: len(f.visitors[s]) for s in METAVERSE_SPACES} == {
        "exchange": 3,
        "consultation": 1,
        "rest": 1,
        "info": 1,
    }
    assert (f.consultations, dict(f.topics), f.handoffs) == (1, {"就労": 1}, 1)
    assert (len(f.counsellors), len(f.qualified_counsellors)) == (3, 2)  # counsellor3 is a peer
    assert (f.flags, f.warnings, f.forced_exits, f.troubles) == (1, 1, 1, 1)
    assert [text for _, text in f.report_notes] == [NOTE]
    # Head counts at 15:00 (minute 75 after 13:45): C just came into the exchange space,
    # A is in a consultation room, B rests. At 17:00 everyone has gone.
    at = lambda minute: {s: f.timeline[s][minute] for s in METAVERSE_SPACES}  # noqa: E731
    assert at(75) == {"exchange": 1, "consultation": 1, "rest": 1, "info": 0}
    assert at(5) == {"exchange": 1, "consultation": 0, "rest": 0, "info": 0}
    assert at(195) == {"exchange": 0, "consultation": 0, "rest": 0, "info": 0}


def test_person_minutes_end_at_the_planned_close_and_survive_re_entry(world):
    """B left at 15:40 and came back at 16:00; A and B were present at the close, which was
    recorded at 17:05 but planned for 17:00: both are counted to 17:00, not beyond."""
    f = figures(world)
    assert f.seconds["exchange"] == (40 + 110 + 60 + 30) * 60
    assert f.seconds["rest"] == 80 * 60


def test_the_summary_document_and_its_chart(world):
    doc = summary(world)
    assert value(doc, "participation", "参加人数(実人数)") == 3
    assert value(doc, "participation", "うち途中参加") == 2
    assert value(doc, "participation", "最大同時参加の時刻") == "15:00"
    assert value(doc, "spaces", "交流スペース 延べ滞在時間(分)") == 240
    assert value(doc, "consultations", "主な相談内容: 就労") == 1
    assert value(doc, "safety", "トラブル等の有無") == "有"
    assert value(doc, "ages", "20代") == 2
    assert value(doc, "districts", "芝") == 2
    assert "最大 2人" in doc.chart and "交流スペース" in doc.chart and "15:00" in doc.chart
    texts = dict(doc.texts)
    assert texts["報告用スタッフメモ"].endswith(NOTE)
    assert texts["開催情報"].startswith("会場: ")
    assert "配置基準を満たさなかった時間" in texts


def test_publication_shows_small_counts_as_under_three_and_the_others_exact(world):
    doc = summary(world)
    ward, public = doc.for_audience("ward"), doc.for_audience("publication")
    assert value(ward, "participation", "うち途中参加") == 2
    assert value(public, "participation", "うち途中参加") == SMALL
    assert value(public, "participation", "参加人数(実人数)") == 3
    assert value(public, "safety", "強制退室者数") == SMALL
    assert value(public, "districts", "麻布") == SMALL
    assert value(public, "districts", "高輪") == 0  # nobody: nothing to re-identify
    assert value(public, "spaces", "休憩スペース 延べ滞在時間(分)") == 80  # minutes, not people
    assert value(public, "staffing", "参加した相談員数") == 3
    assert "報告用スタッフメモ" not in dict(ward.texts)  # staff notes are the manager's alone
    assert public.texts == ()


ISSUE = Issue(period="2025年10月19日(日) 14:00〜17:00", version="第1版", state=DRAFT)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


@pytest.mark.parametrize("audience", ["ward", "publication"])
def test_no_personal_data_in_ward_or_publication_exports(world, audience):
    engine, people, _, _, _ = world
    with Session(engine) as db:
        monthly_doc = build_monthly(db, 2025, 10, FreeText("特になし", ""))
    secrets = [*NAMES.values(), *(f"SECRET-{k}" for k in NAMES), NOTE, CONTENT, "再度の暴言"]
    secrets += ["管理者 佐藤", "相談員 鈴木", "音声が途切れた"]
    for doc in (summary(world), monthly_doc):
        shown = doc.for_audience(audience)
        for data, text in (
            (exports.to_csv(shown), exports.to_csv(shown).decode("utf-8-sig")),
            (exports.to_xlsx(shown), xlsx_text(exports.to_xlsx(shown))),
            (exports.to_pdf(shown, ISSUE), pdf_text(exports.to_pdf(shown, ISSUE))),
        ):
            assert len(data) > 200
            for secret in secrets:
                assert secret not in text
                assert secret.encode() not in data
    # The manager's own summary does carry the note (so the check above can fail).
    assert NOTE in exports.to_csv(summary(world)).decode("utf-8-sig")


def test_csv_is_utf8_with_bom_and_byte_identical_every_time(world):
    first = exports.to_csv(summary(world).for_audience("ward"))
    again = exports.to_csv(summary(world).for_audience("ward"))
    assert first.startswith(b"\xef\xbb\xbf")
    assert first == again
    rows = list(csv.reader(io.StringIO(first.decode("utf-8-sig"))))
    assert rows[0] == ["開催後の集計"]
    assert ["うち途中参加", "2"] in rows
    assert ["交流スペース 延べ滞在時間(分)", "240"] in rows
    # The xlsx is reproducible too.
    assert exports.to_xlsx(summary(world)) == exports.to_xlsx(summary(world))


def test_xlsx_opens_with_openpyxl_one_sheet_per_section(world):
    doc = summary(world).for_audience("ward")
    book = load_workbook(io.BytesIO(exports.to_xlsx(doc)))
    assert book.sheetnames[:2] == ["参加状況", "参加者(当事者)の属性(年代)"]
    rows = {r[0]: r[1:] for r in book["参加状況"].iter_rows(min_row=4, values_only=True)}
    assert rows["参加人数(実人数)"][0] == 3
    assert rows["うち途中参加"][0] == 2
    space = {
        r[0]: r[1] for r in book["各スペースの利用状況"].iter_rows(min_row=4, values_only=True)
    }
    assert space["休憩スペース 延べ滞在時間(分)"] == 80


def test_pdf_is_a4_with_the_japanese_title_as_text_and_renders(world, tmp_path):
    data = exports.to_pdf(summary(world).for_audience("ward"), ISSUE)
    reader = pypdf.PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = pdf_text(data)
    assert "開催後の集計" in text and "スペース別の在室人数の推移" in text
    pdf = pypdfium2.PdfDocument(data)
    image = pdf[0].render(scale=1).to_pil()
    pdf.close()
    image.save(tmp_path / "page1.png")
    assert abs(image.size[0] - 595) <= 1 and abs(image.size[1] - 842) <= 1  # A4 at 72 dpi
    dark = sum(image.convert("L").histogram()[:128])
    assert dark > 2000  # text, table rules and the chart were drawn, not a blank page


def test_the_monthly_report_per_session_month_and_fiscal_year(world):
    engine, *_ = world
    with Session(engine) as db:
        doc = build_monthly(db, 2025, 10, FreeText("", ""))
    participation = next(t for t in doc.tables if t.key == "metaverse.participation")
    assert participation.columns == (
        "10/19(日) メタバース居場所",
        "10/26(日) メタバース居場所",
        "当月計",
        "年度累計",
    )
    cells = {r.label: r.cells for r in participation.rows}
    # Month: A, B, C then A, D -> 4 people, 5 attendances. Year: E in September too.
    assert cells["参加人数(実人数)"] == (3, 2, 4, 5)
    assert cells["延べ参加人数"] == (3, 2, 5, 6)
    assert cells["うち途中参加"] == (2, 2, 4, 5)  # A was late on the 26th
    ages = {r.label: r.cells for r in next(t for t in doc.tables if t.key == "metaverse.ages").rows}
    assert ages["20代"] == (2, 1, 2, 3)
    assert "2025年度" in doc.subtitle and "提出期限 2025年11月10日" in doc.subtitle
    texts = dict(doc.texts)
    assert texts["① その他特筆すべき内容"] == "特になし"
    assert "アンケート" in texts["② アンケート集計結果"] or texts["② アンケート集計結果"]


def test_the_monthly_report_counts_applicants_with_their_age_and_district(world):
    """Spec 6(7)①: 申込人数 per session, the month and the year, with the applicants' age at
    the session's date and their district from the address. Worked out by hand below."""
    engine, *_ = world
    applied = [  # name, born, address, received (JST), withdrawn
        ("申込 一", date(2000, 10, 20), "東京都港区芝公園4-2-8", date(2025, 10, 1), False),
        ("申込 二", date(1985, 1, 1), "東京都港区赤坂6-1-1", date(2025, 10, 20), False),
        ("申込 三", date(1960, 5, 5), "東京都新宿区西新宿2-8-1", date(2025, 9, 1), False),
        ("申込 四", date(1990, 2, 2), "東京都港区白金1-1-1", date(2025, 10, 2), True),
        ("申込 五", date(1995, 3, 3), "東京都港区台場1-1-1", date(2025, 10, 27), False),
    ]
    with transaction(engine) as db:
        terms_id = db.exec(select(TermsVersion.id)).first()
        for name, born, address, received, withdrawn in applied:
            uid = uuid.uuid4().hex
            email = f"{uid[:8]}@example.jp"
            data = PersonalData(
                name=name, kana="もうしこみ", address=address, birth_date=born, email=email
            )
            person = Person(
                uid=uid,
                kind="self",
                sealed=seal(uid, data),
                district=district_of(address),
                email_match=email_match(email),
                name_birth_match=name_birth_match(name, born),
            )
            db.add(person)
            db.flush()
            db.add(
                Application(
                    person_id=person.id,
                    service="metaverse",
                    fiscal_year=2025,
                    channel="web",
                    terms_id=terms_id,
                    status="withdrawn" if withdrawn else "received",
                    client_token=uuid.uuid4().hex,
                    received_at=datetime.combine(received, time(10), tzinfo=TZ),
                )
            )
    with Session(engine) as db:
        doc = build_monthly(db, 2025, 10, FreeText("", ""))
    rows = {
        t.key.removeprefix("metaverse."): {r.label: r.cells for r in t.rows} for t in doc.tables
    }
    # 一 → 10/19 (24 the day before their birthday), 二 → 10/26 (40), 三 → 9/21 (65),
    # 四 withdrew, 五 came after the last session of the year so far.
    assert rows["participation"]["申込人数(実人数)"] == (1, 1, 2, 3)
    assert rows["applicant_ages"]["20代"] == (1, 0, 1, 1)
    assert rows["applicant_ages"]["40代"] == (0, 1, 1, 1)
    assert rows["applicant_ages"]["60代以上"] == (0, 0, 0, 1)
    assert rows["applicant_districts"]["芝"] == (1, 0, 1, 1)
    assert rows["applicant_districts"]["赤坂"] == (0, 1, 1, 1)
    assert rows["applicant_districts"]["区外"] == (0, 0, 0, 1)
    public = doc.for_audience("publication")
    masked = {
        r.label: r.cells
        for r in next(t for t in public.tables if t.key == "metaverse.participation").rows
    }
    assert masked["申込人数(実人数)"] == ("3未満", "3未満", "3未満", 3)
    text = exports.to_csv(doc.for_audience("ward")).decode("utf-8-sig")
    assert "申込者の属性(年代)" in text and "申込 一" not in text and "港区芝公園" not in text


def test_a_finalised_report_cannot_change_and_a_correction_lists_its_differences(world):
    engine, people, staff, main, record_id = world
    manager = staff["manager"]
    monthly.save_text(engine, year=2025, month=10, staff_id=manager, notable="初版", ward_items="")
    assert monthly.finalise(engine, year=2025, month=10, version=1, staff_id=manager) == 1
    with Session(engine) as db:
        frozen = db.exec(select(MonthlyReport)).one().snapshot
    with pytest.raises(Refused, match="確定済み"):
        monthly.save_text(engine, year=2025, month=10, staff_id=manager, notable="x", ward_items="")
    with pytest.raises(Refused):
        monthly.finalise(engine, year=2025, month=10, version=1, staff_id=manager)
    with Session(engine) as db:  # even a direct write to the row is refused
        row = db.exec(select(MonthlyReport)).one()
        row.notable = "書き換え"
        db.add(row)
        with pytest.raises(Refused):
            db.commit()
    # A handoff recorded by phone after the report was finalised changes the figures ...
    with Session(engine) as db:
        last = db.get(Meetup, main).last_seq
    play_after(engine, main, last, cev.PhoneHandoffRecorded(handoff_id=2, record_id=record_id))
    with Session(engine) as db:
        row = db.exec(select(MonthlyReport)).one()
        assert (row.snapshot, row.notable, row.status) == (frozen, "初版", "final")
        assert monthly.read(db, 2025, 10).document.to_json() == frozen  # v1 still says 1
    with pytest.raises(Refused, match="理由"):
        monthly.correct(engine, year=2025, month=10, staff_id=manager, reason=" ")
    assert (
        monthly.correct(engine, year=2025, month=10, staff_id=manager, reason="電話連携の追記") == 2
    )
    monthly.save_text(
        engine, year=2025, month=10, staff_id=manager, notable="訂正版", ward_items=""
    )
    with Session(engine) as db:
        v2 = monthly.read(db, 2025, 10)
    changed = {(c.table, c.row, c.column): (c.before, c.after) for c in v2.changes}
    key = ("【メタバース居場所】個別相談", "ひきこもり支援専用相談窓口への情報提供件数")
    assert changed[(*key, "10/19(日) メタバース居場所")] == (1, 2)
    assert changed[(*key, "当月計")] == (1, 2)
    assert changed[("記述", "① その他特筆すべき内容", "")] == ("初版", "訂正版")
    assert len(changed) == 4  # those, plus the fiscal-year column: nothing else moved


def play_after(engine, meetup_id: int, last_seq: int, body: Body) -> None:
    state = eventlog.replay(engine, meetup_id)
    assert state.seq == last_seq
    eventlog.append(
        engine,
        meetup_id=meetup_id,
        command_id=f"late-{meetup_id}-{last_seq}",
        fingerprint=eventlog.fingerprint(body.type, {}),
        actor_id=None,
        state=state,
        decide=lambda db, st: body,
        now=lambda: jst(DAY, "18:00"),
    )


def test_differences_of_identical_documents_are_empty(world):
    doc = summary(world)
    assert differences(doc, doc) == []


def test_a_closed_sessions_figures_are_kept_and_equal_a_fresh_fold_of_its_log(world):
    engine, _, _, main, _ = world
    with Session(engine) as db:
        meetup = db.get(Meetup, main)
        first = figures_of(db, meetup, staff_roster(db))
    with Session(engine) as db:
        kept = db.get(FiguresCache, main)
        assert kept is not None and kept.last_seq == db.get(Meetup, main).last_seq
        fresh = session_figures(
            meetup_id=main,
            doors_at=meetup.doors_at,
            ends_at=meetup.ends_at,
            events=eventlog.read_since(db, main, 0),
            staff=staff_roster(db),
        )
        assert SessionFigures.from_json(kept.data) == fresh == first
        assert figures_of(db, db.get(Meetup, main), staff_roster(db)) == fresh


def test_xlsx_prints_on_a4_fitted_to_the_width_with_its_headings_on_every_page(world):
    book = load_workbook(io.BytesIO(exports.to_xlsx(summary(world))))
    for sheet in book.worksheets:
        assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)  # 9
        assert sheet.page_setup.orientation == "portrait"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert int(sheet.page_setup.fitToWidth) == 1 and int(sheet.page_setup.fitToHeight) == 0
        assert sheet.oddFooter.center.text == "&P / &N"
    tables = [s for s in book.worksheets if s.title != "記述"]
    assert tables and all(s.print_title_rows == "$1:$3" for s in tables)
