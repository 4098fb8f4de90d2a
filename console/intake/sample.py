"""Demo intake: approved terms for each service, applications in every status, and one
applicant whose ID and password pass the entry gate of the running demo session."""

import datetime as dt
import uuid

from sqlmodel import Session, select

from console.intake.models import Application, Person, TermsVersion, fiscal_year_of
from console.intake.personal import PersonalData, email_match, name_birth_match, seal
from console.intake.towns import district_of
from console.intake.vocab import ApplicantKind, ApplicationStatus, Channel, Residency
from console.security.auth import hash_password
from console.session.models import Participant, code_lookup
from console.session.vocab import MeetupKind
from console.store.columns import utcnow

DEMO_ENTRY_CODE = "M100001"
DEMO_ENTRY_PASSWORD = "demo-entry-2026"
TERMS = """港区ひきこもり居場所支援 利用規約(デモ)

1. この居場所は、ひきこもり状態にある方とそのご家族が、安心して過ごすための場です。
2. 他の参加者の住所・氏名・連絡先など、私的な個人情報を聞き出さないでください。
3. 政治・宗教等の勧誘、悪口雑言はお断りします。
4. 規約に反する行為があったときは、事前にお知らせしたうえで退室をお願いすることがあります。
5. 話さずに過ごすことも、途中で退室することも自由です。"""

PEOPLE = [
    (
        "港 花子",
        "みなと はなこ",
        "東京都港区芝公園4-2-8",
        dt.date(1995, 6, 1),
        ApplicationStatus.RECEIVED,
    ),
    (
        "赤坂 一郎",
        "あかさか いちろう",
        "東京都港区赤坂6-1-1",
        dt.date(1988, 1, 20),
        ApplicationStatus.CHECKING,
    ),
    (
        "高輪 次郎",
        "たかなわ じろう",
        "東京都港区高輪3-5-1",
        dt.date(1979, 11, 3),
        ApplicationStatus.CONFIRMED,
    ),
    (
        "新宿 三郎",
        "しんじゅく さぶろう",
        "東京都新宿区西新宿2-8-1",
        dt.date(1990, 3, 3),
        ApplicationStatus.INELIGIBLE,
    ),
    (
        "麻布 さつき",
        "あざぶ さつき",
        "東京都港区六本木6-10-1",
        dt.date(2001, 5, 5),
        ApplicationStatus.WITHDRAWN,
    ),
]


def seed(db: Session, *, manager_id: int, ward_id: int, today: dt.date) -> None:
    """Create what is missing (safe to run again)."""
    terms = {}
    for service in MeetupKind:
        found = db.exec(select(TermsVersion).where(TermsVersion.service == service)).first()
        if found is None:
            found = TermsVersion(
                service=service,
                version=1,
                text=TERMS,
                drafted_by=manager_id,
                approved_by=ward_id,
                approved_at=utcnow(),
            )
            db.add(found)
            db.flush()
        terms[service] = found
    fiscal_year = fiscal_year_of(today)
    for name, kana, address, born, status in PEOPLE:
        email = f"{uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:10]}@example.jp"
        if db.exec(select(Person).where(Person.email_match == email_match(email))).first():
            continue
        person = _person(db, name, kana, address, born, email)
        if status in (ApplicationStatus.CONFIRMED, ApplicationStatus.INELIGIBLE):
            person.residency = Residency(status.value)
            person.checked_fiscal_year = fiscal_year
        db.add(person)
        db.flush()
        db.add(_application(person, terms[MeetupKind.METAVERSE], fiscal_year, status))
    if db.exec(code_lookup(DEMO_ENTRY_CODE)).first() is None:
        participant = Participant(
            code=DEMO_ENTRY_CODE, display_name="そら", age_bracket="20s", district="shiba"
        )
        db.add(participant)
        db.flush()
        person = _person(
            db, "芝 そら", "しば そら", "東京都港区芝5-1-1", dt.date(2000, 4, 1), "sora@example.jp"
        )
        person.residency, person.checked_fiscal_year = Residency.CONFIRMED, fiscal_year
        person.participant_id = participant.id
        person.password_hash = hash_password(DEMO_ENTRY_PASSWORD)
        db.add(person)
        db.flush()
        db.add(
            _application(
                person, terms[MeetupKind.METAVERSE], fiscal_year, ApplicationStatus.CREDENTIALS_SENT
            )
        )


def _person(db, name, kana, address, born, email) -> Person:
    uid = uuid.uuid4().hex
    data = PersonalData(name=name, kana=kana, address=address, birth_date=born, email=email)
    return Person(
        uid=uid,
        kind=ApplicantKind.SELF,
        sealed=seal(uid, data),
        district=district_of(address),
        email_match=email_match(email),
        name_birth_match=name_birth_match(name, born),
    )


def _application(person: Person, terms: TermsVersion, fiscal_year: int, status) -> Application:
    return Application(
        person_id=person.id,
        service=MeetupKind.METAVERSE,
        fiscal_year=fiscal_year,
        channel=Channel.WEB,
        terms_id=terms.id,
        status=status,
        client_token=uuid.uuid4().hex,
        reason="区外にお住まいのため" if status == ApplicationStatus.INELIGIBLE else None,
    )
