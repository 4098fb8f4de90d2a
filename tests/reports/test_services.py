"""A scripted month with one session of each service (metaverse meetup, in-person drop-in,
family class): each section of the monthly report equals the figures worked out by hand below,
no family member is counted as a 当事者, and staffing breaches are written in by themselves."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from console.consultations import events as cev
from console.demo import seed as seed_demo
from console.live.models import Meetup
from console.reports import exports
from console.reports.monthly_document import AUTOMATIC_HEADING, FreeText, build_monthly
from console.reports.summary import build_summary
from console.schedule.models import SessionPlan
from console.security.models import Staff
from console.session import events as ev
from console.session.models import FamilyMember, Participant
from console.store.db import make_engine, transaction
from console.store.schema import migrate
from tests.scripted import jst, play

METAVERSE_DAY = date(2024, 9, 8)
IN_PERSON_DAY = date(2024, 9, 14)
FAMILY_DAY = date(2024, 9, 21)
PEOPLE = {  # key: (age bracket, district, relation or None for a 当事者)
    "S1": ("20s", "shiba", None),
    "S2": ("30s", "azabu", None),
    "S3": ("40s", "takanawa", None),
    "F0": ("50s", "shiba", "mother"),
    "F1": ("60plus", "akasaka", "father"),
    "F2": ("50s", "shiba", None),  # came to the family class without a relation on record
}


def _meetup(engine, kind: str, day: date, doors: str, start: str, end: str, **plan) -> int:
    with transaction(engine) as db:
        meetup = Meetup(
            date=day,
            kind=kind,
            doors_at=jst(day, doors),
            starts_at=jst(day, start),
            ends_at=jst(day, end),
            groups=1 if kind == "family_class" else None,
        )
        db.add(meetup)
        db.flush()
        db.add(SessionPlan(meetup_id=meetup.id, venue=plan.get("venue", "区有施設"), **plan))
        return meetup.id


def _metaverse(day, p, s):
    t = lambda hhmm: jst(day, hhmm)  # noqa: E731
    m, f, c1, c2, c3, sup = (
        s[k]
        for k in ("manager", "facilitator", "counsellor1", "counsellor2", "counsellor3", "support")
    )
    return [
        (t("13:45"), m, ev.DoorsOpened()),
        (t("13:45"), m, ev.StaffOnDuty(staff_id=m, post="overall")),
        (t("13:45"), f, ev.StaffOnDuty(staff_id=f, post="exchange")),
        (t("13:45"), c1, ev.StaffOnDuty(staff_id=c1, post="consultation")),
        (t("13:45"), c2, ev.StaffOnDuty(staff_id=c2, post="consultation")),
        (t("13:45"), c3, ev.StaffOnDuty(staff_id=c3, post="rest")),
        (t("13:45"), sup, ev.StaffOnDuty(staff_id=sup, post="info")),
        (
            t("13:50"),
            sup,
            ev.ParticipantEntered(participant_id=p["S1"], space="exchange", late=False),
        ),
        (t("14:00"), m, ev.MeetupStarted()),
        (t("14:05"), f, ev.ParticipantMarked(participant_id=p["S1"], mark="listening")),
        (t("14:10"), sup, ev.ParticipantEntered(participant_id=p["S2"], space="rest", late=True)),
        (
            t("14:20"),
            sup,
            ev.ParticipantEntered(participant_id=p["F0"], space="exchange", late=True),
        ),
        (t("14:30"), sup, cev.ConsultationRequested(participant_id=p["S1"])),
        (
            t("14:35"),
            c1,
            cev.ConsultationStarted(
                request_seq=13, participant_id=p["S1"], room=1, counsellor_id=c1, record_id=9001
            ),
        ),
        (t("14:40"), sup, cev.ConsultationRequested(participant_id=p["S2"])),
        (t("14:45"), sup, cev.ConsultationCancelled(request_seq=15, participant_id=p["S2"])),
        (t("15:00"), c3, ev.StaffOffDuty(staff_id=c3)),  # two counsellors from here on
        (t("17:00"), None, ev.MeetupClosed(reason="schedule")),
    ]


def _in_person(day, p, s):
    t = lambda hhmm: jst(day, hhmm)  # noqa: E731
    c1, c2, m = s["counsellor1"], s["counsellor2"], s["manager"]
    return [
        (t("14:00"), m, ev.DoorsOpened()),
        (t("14:00"), c1, ev.StaffOnDuty(staff_id=c1, post="dialogue")),
        (t("14:00"), c2, ev.StaffOnDuty(staff_id=c2, post="consultation")),
        (t("14:00"), m, ev.MeetupStarted()),
        (
            t("14:00"),
            m,
            ev.ParticipantEntered(participant_id=p["S1"], space="dialogue", late=False),
        ),
        (t("14:10"), m, ev.ParticipantEntered(participant_id=p["S3"], space="quiet", late=True)),
        (t("16:00"), c2, ev.StaffOffDuty(staff_id=c2)),  # one qualified counsellor from here on
        (t("17:00"), None, ev.MeetupClosed(reason="schedule")),
    ]


def _family_class(day, p, s):
    t = lambda hhmm: jst(day, hhmm)  # noqa: E731
    c1, c3, f, m = s["counsellor1"], s["counsellor3"], s["facilitator"], s["manager"]
    return [
        (t("13:30"), m, ev.DoorsOpened()),
        (t("13:30"), c1, ev.StaffOnDuty(staff_id=c1, post="consultation")),
        (t("13:30"), c3, ev.StaffOnDuty(staff_id=c3, post="lecture")),
        (t("13:30"), f, ev.StaffOnDuty(staff_id=f, post="workshop")),
        *[
            (t("13:40"), m, ev.ParticipantEntered(participant_id=p[k], space="lecture", late=False))
            for k in ("F0", "F1", "F2")
        ],
        (t("14:00"), m, ev.MeetupStarted()),
        (
            t("15:00"),
            f,
            ev.ParticipantMoved(participant_id=p["F1"], from_space="lecture", to_space="workshop"),
        ),
        (t("15:10"), m, cev.ConsultationRequested(participant_id=p["F2"])),
        (
            t("15:15"),
            c1,
            cev.ConsultationStarted(
                request_seq=10, participant_id=p["F2"], room=1, counsellor_id=c1, record_id=9002
            ),
        ),
        (t("16:00"), None, ev.MeetupClosed(reason="schedule")),
    ]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('services') / 'month.db'}")
    migrate(engine)
    seed_demo(engine)
    with transaction(engine) as db:
        people = {}
        for key, (age, district, relation) in PEOPLE.items():
            person = Participant(
                code=f"SVC-{key}", display_name=key, age_bracket=age, district=district
            )
            db.add(person)
            db.flush()
            people[key] = person.id
            if relation:
                db.add(FamilyMember(participant_id=person.id, relation=relation))
        staff = {s.login_id: s.id for s in db.exec(select(Staff))}
    ids = {
        "metaverse": _meetup(engine, "metaverse", METAVERSE_DAY, "13:45", "14:00", "17:00"),
        "in_person": _meetup(
            engine,
            "in_person",
            IN_PERSON_DAY,
            "14:00",
            "14:00",
            "17:00",
            exceptions="対面の居場所の日程は2か月以上前に確定する必要があります: 区と後日合意",
        ),
        "family_class": _meetup(
            engine,
            "family_class",
            FAMILY_DAY,
            "13:30",
            "14:00",
            "16:00",
            lecturer="山田講師",
            theme="家族の接し方",
        ),
    }
    play(engine, ids["metaverse"], _metaverse(METAVERSE_DAY, people, staff))
    play(engine, ids["in_person"], _in_person(IN_PERSON_DAY, people, staff))
    play(engine, ids["family_class"], _family_class(FAMILY_DAY, people, staff))
    with Session(engine) as db:
        document = build_monthly(db, 2024, 9, FreeText("", ""))
    return engine, ids, document


def section(document, key: str) -> dict[str, tuple]:
    table = next(t for t in document.tables if t.key == key)
    return {r.label: r.cells for r in table.rows}


def test_one_section_per_service_each_titled_with_its_service(month):
    _, _, doc = month
    prefixes = {t.key.split(".")[0] for t in doc.tables if "." in t.key}
    assert prefixes == {"metaverse", "in_person", "family_class"}
    titles = [t.title for t in doc.tables if t.key.startswith("family_class.")]
    assert all(title.startswith("【家族教室】") for title in titles)
    heading = next(t for t in doc.tables if t.key == "family_class.participation").columns
    assert heading == ("9/21(土) 家族教室", "当月計", "年度累計")


def test_the_metaverse_section_counts_listeners_and_no_family_member_as_a_self(month):
    _, _, doc = month
    participation = section(doc, "metaverse.participation")
    # S1, S2 (当事者) and F0 (mother); S1 marked 聞くだけ; S2 and F0 came after the start.
    assert participation["参加人数(実人数)"] == (3, 3, 3)
    assert participation["うち当事者"] == (2, 2, 2)
    assert participation["うち家族"] == (1, 1, 1)
    assert participation["うち聞くだけ(交流を希望しない)"] == (1, 1, 1)
    assert participation["うち途中参加"] == (2, 2, 2)
    ages = section(doc, "metaverse.ages")
    assert ages["20代"] == (1, 1, 1) and ages["30代"] == (1, 1, 1)
    assert ages["50代"] == (0, 0, 0)  # F0, the mother, is not a 当事者
    assert sum(cells[0] for cells in ages.values()) == 2
    consultations = section(doc, "metaverse.consultations")
    assert consultations["個別相談受付件数"] == (2, 2, 2)  # S2's request was withdrawn
    assert consultations["個別相談実施件数"] == (1, 1, 1)
    spaces = section(doc, "metaverse.spaces")
    assert spaces["交流スペース 利用者数(人)"] == (2, 2, 2)
    assert not any("対話" in label or "講義" in label for label in spaces)


def test_the_in_person_section_has_its_own_spaces_only(month):
    _, _, doc = month
    participation = section(doc, "in_person.participation")
    assert participation["参加人数(実人数)"] == (2, 2, 2)
    assert participation["うち当事者"] == (2, 2, 2)
    assert participation["うち家族"] == (0, 0, 0)
    assert "うち聞くだけ(交流を希望しない)" not in participation
    spaces = section(doc, "in_person.spaces")
    assert spaces["対話交流スペース 利用者数(人)"] == (1, 1, 1)
    assert spaces["対話を望まないスペース 利用者数(人)"] == (1, 1, 1)
    assert spaces["個別相談室 利用者数(人)"] == (0, 0, 0)
    assert not any(label.startswith("交流スペース") for label in spaces)


def test_the_family_class_section_speaks_of_families_lecture_and_groups(month):
    _, _, doc = month
    participation = section(doc, "family_class.participation")
    assert participation["参加人数(家族・実人数)"] == (3, 3, 3)
    assert "うち当事者" not in participation and "参加人数(実人数)" not in participation
    assert not any(t.key == "family_class.ages" for t in doc.tables)  # no 当事者 age brackets
    relations = section(doc, "family_class.relations")
    assert relations["母"] == (1, 1, 1) and relations["父"] == (1, 1, 1)
    assert relations["続柄不明"] == (1, 1, 1) and relations["きょうだい"] == (0, 0, 0)
    spaces = section(doc, "family_class.spaces")
    assert spaces["講義 利用者数(人)"] == (3, 3, 3)
    assert spaces["グループワーク 利用者数(人)"] == (1, 1, 1)
    assert not any(label.startswith("交流スペース") for label in spaces)
    lecture = section(doc, "family_class.class")
    assert lecture["講師"] == ("山田講師",) * 3 and lecture["テーマ・内容"][0] == "家族の接し方"
    consultations = section(doc, "family_class.consultations")
    assert consultations["個別相談受付件数"] == (1, 1, 1)
    assert consultations["個別相談実施件数"] == (1, 1, 1)


def test_staffing_breaches_are_written_into_the_notable_section_by_themselves(month):
    _, _, doc = month
    automatic = dict(doc.texts)[AUTOMATIC_HEADING].splitlines()
    assert "9/8(日) メタバース居場所 配置基準 相談員3名以上: 15:00〜17:00 未充足" in automatic
    assert "9/14(土) 対面の居場所 配置基準 専門相談員2名以上: 16:00〜17:00 未充足" in automatic
    assert (
        "9/14(土) 対面の居場所 日程のルール外: "
        "対面の居場所の日程は2か月以上前に確定する必要があります: 区と後日合意"
    ) in automatic
    assert not any("家族教室" in line for line in automatic)  # every rule held there
    assert dict(doc.texts)["① その他特筆すべき内容"] == "特になし"


def test_the_summary_names_its_service_venue_lecturer_and_breaches(month):
    engine, ids, _ = month
    with Session(engine) as db:
        family = build_summary(db, ids["family_class"])
        drop_in = build_summary(db, ids["in_person"])
    assert "家族教室" in family.subtitle and "メタバース" not in family.subtitle
    texts = dict(family.texts)
    assert "講師: 山田講師" in texts["開催情報"] and "会場: 区有施設" in texts["開催情報"]
    assert texts["配置基準を満たさなかった時間"].startswith("なし")
    assert (
        "専門相談員2名以上: 16:00〜17:00 未充足"
        in dict(drop_in.texts)["配置基準を満たさなかった時間"]
    )
    assert not any(t.key == "ages" for t in family.tables)


def test_the_exports_follow_the_sections(month):
    _, _, doc = month
    book = load_workbook(io.BytesIO(exports.to_xlsx(doc.for_audience("ward"))))
    assert (
        "【家族教室】参加状況" in book.sheetnames and "【対面の居場所】参加状況" in book.sheetnames
    )
    text = exports.to_csv(doc.for_audience("ward")).decode("utf-8-sig")
    assert "【メタバース居場所】個別相談" in text and "うち聞くだけ(交流を希望しない)" in text
