"""Demo data: staff of every role, ~15 participants, and a meetup running now."""

import base64
import functools
import hashlib
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from console.consultations import events as cev
from console.consultations.models import ConsultationRecord
from console.intake import sample as intake_sample
from console.live import eventlog
from console.live.events import Body
from console.live.models import Meetup
from console.moderation import events as mev
from console.schedule.models import StaffExperience
from console.security import factor
from console.security.auth import hash_password
from console.security.models import Staff
from console.session import events as ev
from console.session.models import Participant, code_lookup
from console.session.state import LiveState
from console.session.vocab import MeetupStatus
from console.settings import TZ
from console.store.db import transaction
from console.surveys import sample as survey_sample

DEMO_PASSWORD = "demo-pass-2026"
# Where participants ask, for the demo only (production sets PUBLIC_CONTACT; see the checklist).
DEMO_CONTACT = "港区ひきこもり居場所支援 事務局(デモ) 電話 03-0000-0000(平日 9時〜17時)"

DEMO_STAFF = [
    ("manager", "管理者 佐藤", "manager", "social_worker"),
    ("facilitator", "ファシリ 田中", "facilitator", None),
    ("counsellor1", "相談員 鈴木", "counsellor", "psw"),
    ("counsellor2", "相談員 高橋", "counsellor", "certified_psychologist"),
    ("counsellor3", "相談員 伊藤", "counsellor", "peer"),
    ("support", "支援員 渡辺", "support", None),
    ("ward", "港区 山本", "ward", None),
]

AVATARS = [
    "そら",
    "ひかり",
    "こまち",
    "ゆず",
    "はる",
    "みなと",
    "あおい",
    "れん",
    "つき",
    "ほし",
    "もみじ",
    "さくら",
    "なぎ",
    "しずく",
    "かえで",
]
AGES = ["10s", "20s", "30s", "40s", "50s", "60plus", "unknown"]
DISTRICTS = ["shiba", "azabu", "akasaka", "takanawa", "shibaura_konan", "unknown"]


def totp_secret(login_id: str) -> str:
    """The demo login's TOTP secret: fixed and public, like the demo password (the demo
    refuses a database with real staff), so the demo and the tests sign in in one step."""
    digest = hashlib.sha256(f"session-console-demo-totp:{login_id}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def totp_code(login_id: str) -> str:
    return pyotp.TOTP(totp_secret(login_id)).now()


@functools.cache
def demo_password_hash() -> str:
    """One argon2 hash of the published demo password, shared by every demo login and every
    seeding in this process (each hash costs a sixth of a second; the password is no secret)."""
    return hash_password(DEMO_PASSWORD)


def seed(engine: Engine, *, newer: bool = True) -> Meetup:
    """Create what is missing (safe to run again) and return a meetup running now. Without
    `newer`, only what a database at the initial revision holds (no intake, no surveys: the
    migration tests)."""
    with transaction(engine) as db:
        for login_id, name, role, qualification in DEMO_STAFF:
            if db.exec(select(Staff).where(Staff.login_id == login_id)).first() is None:
                db.add(
                    Staff(
                        login_id=login_id,
                        display_name=name,
                        role=role,
                        qualification=qualification,
                        password_hash=demo_password_hash(),
                    )
                )
        for i, avatar in enumerate(AVATARS, start=1):
            code = f"P{i:03d}"
            if db.exec(code_lookup(code)).first() is None:
                db.add(
                    Participant(
                        code=code,
                        display_name=avatar,
                        age_bracket=AGES[i % len(AGES)],
                        district=DISTRICTS[i % len(DISTRICTS)],
                        gender=["female", "male", "other", None][i % 4],
                    )
                )
    today = datetime.now(TZ).date()
    with Session(engine) as db:
        ids = {s.login_id: s.id for s in db.exec(select(Staff))}
    if newer:
        with transaction(engine) as db:
            intake_sample.seed(db, manager_id=ids["manager"], ward_id=ids["ward"], today=today)
            for login_id, *_ in DEMO_STAFF:
                factor.seed(db, ids[login_id], totp_secret(login_id))
            if db.get(StaffExperience, ids["manager"]) is None:
                db.add(StaffExperience(staff_id=ids["manager"], hikikomori_experience=True))
                db.add(StaffExperience(staff_id=ids["facilitator"], prior_facilitations=5))
    with Session(engine) as db:
        open_now = [MeetupStatus.DOORS_OPEN, MeetupStatus.IN_SESSION]
        meetup = db.exec(
            select(Meetup).where(Meetup.date == today, col(Meetup.status).in_(open_now))
        ).first()
    if meetup is None:
        meetup = _running_meetup(engine, newer=newer)
    _past_meetup(engine)
    if newer:
        with transaction(engine) as db:
            survey_sample.seed(db, manager_id=ids["manager"], ward_id=ids["ward"])
    return meetup


def _running_meetup(engine: Engine, *, newer: bool = True) -> Meetup:
    now = datetime.now(UTC)
    start = now - timedelta(minutes=40)
    with transaction(engine) as db:
        meetup = Meetup(
            date=now.astimezone(TZ).date(),
            doors_at=start - timedelta(minutes=15),
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            rooms=2,
        )
        db.add(meetup)
        db.flush()
        staff = {s.login_id: s.id for s in db.exec(select(Staff))}
        people = {p.code: p.id for p in db.exec(select(Participant))}
    manager = staff["manager"]
    script: list[tuple[int, int | None, Body]] = [
        (-55, manager, ev.DoorsOpened()),
        (-54, manager, ev.StaffOnDuty(staff_id=manager, post="overall")),
        (-53, staff["facilitator"], ev.StaffOnDuty(staff_id=staff["facilitator"], post="exchange")),
        (
            -52,
            staff["counsellor1"],
            ev.StaffOnDuty(staff_id=staff["counsellor1"], post="consultation"),
        ),
        (
            -52,
            staff["counsellor2"],
            ev.StaffOnDuty(staff_id=staff["counsellor2"], post="consultation"),
        ),
        (-51, staff["counsellor3"], ev.StaffOnDuty(staff_id=staff["counsellor3"], post="rest")),
        (-50, staff["support"], ev.StaffOnDuty(staff_id=staff["support"], post="info")),
    ]
    for i in range(1, 9):
        script.append(
            (
                -48 + i,
                staff["support"],
                ev.ParticipantEntered(
                    participant_id=people[f"P{i:03d}"], space="exchange", late=False
                ),
            )
        )
    script.append((-40, manager, ev.MeetupStarted()))
    for i in range(9, 13):
        script.append(
            (
                -35 + i,
                staff["facilitator"],
                ev.ParticipantEntered(
                    participant_id=people[f"P{i:03d}"], space="exchange", late=True
                ),
            )
        )
    fac = staff["facilitator"]
    script += [
        (-20, fac, ev.ParticipantMarked(participant_id=people["P002"], mark="listening")),
        (-19, fac, ev.ParticipantMarked(participant_id=people["P003"], mark="talking")),
        (
            -15,
            fac,
            ev.ParticipantMoved(
                participant_id=people["P004"], from_space="exchange", to_space="rest"
            ),
        ),
        (-10, fac, ev.ParticipantMarked(participant_id=people["P006"], mark="attention")),
        (
            -8,
            fac,
            ev.ParticipantMoved(
                participant_id=people["P007"], from_space="exchange", to_space="info"
            ),
        ),
        (
            -6,
            fac,
            ev.StaffNotePosted(
                text="P006 さんが少し緊張している様子です。休憩スペースへの案内を検討します。"
            ),
        ),
    ]
    c3 = staff["counsellor3"]
    # Moderation actions go into the audit chain (revision 0006): an older schema gets none.
    script += (
        []
        if not newer
        else [
            (
                -4,
                fac,
                mev.WarningGiven(
                    participant_id=people["P011"],
                    rule="personal_info",
                    wording="個人が特定される情報は聞かないようにお願いします",
                    flag_seq=0,
                ),
            ),
            (
                -2,
                c3,
                mev.FlagRaised(
                    participant_id=people["P010"],
                    description="",
                    space="exchange",
                    reason="solicitation",
                    note="集まりへの勧誘のような発言",
                ),
            ),
        ]
    )
    play(engine, meetup.id, [(now + timedelta(minutes=m), a, b) for m, a, b in script])
    return meetup


def play(engine: Engine, meetup_id: int, script) -> None:
    """Append each (time, actor, body) of a script through the event log's only writer."""
    state = LiveState(meetup_id=meetup_id)
    for n, (at, actor, body) in enumerate(script, start=1):
        appended = eventlog.append(
            engine,
            meetup_id=meetup_id,
            command_id=f"demo:{meetup_id}:{n}",
            fingerprint=eventlog.fingerprint(f"demo:{body.type}", {"n": str(n)}),
            actor_id=actor,
            state=state,
            decide=lambda _db, _state, body=body: body,
            now=lambda at=at: at,
        )
        state = eventlog.apply(state, appended.event)


def _past_meetup(engine: Engine) -> None:
    """Last month's session, closed, so the summary and the monthly report have figures."""
    today = datetime.now(TZ).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    day = first + timedelta(days=(6 - first.weekday()) % 7 + 14)  # the third Sunday
    doors = datetime(day.year, day.month, day.day, 13, 45, tzinfo=TZ).astimezone(UTC)
    with transaction(engine) as db:
        if db.exec(select(Meetup).where(Meetup.date == day)).first() is not None:
            return
        staff = {s.login_id: s.id for s in db.exec(select(Staff))}
        people = {p.code: p.id for p in db.exec(select(Participant))}
        meetup = Meetup(
            date=day,
            doors_at=doors,
            starts_at=doors + timedelta(minutes=15),
            ends_at=doors + timedelta(minutes=195),
        )
        db.add(meetup)
        db.flush()
        record = ConsultationRecord(
            meetup_id=meetup.id,
            start_seq=0,
            room=1,
            participant_id=people["P003"],
            counsellor_id=staff["counsellor1"],
            started_at=doors + timedelta(minutes=60),
            ended_at=doors + timedelta(minutes=95),
            complete=True,
            topic="生活",
            content="生活リズムを整えたいとの相談。",
            answer="休憩スペースの使い方と区の窓口を案内。",
        )
        db.add(record)
        db.flush()
        meetup_id, record_id = meetup.id, record.id
    m, f, c1, sup = staff["manager"], staff["facilitator"], staff["counsellor1"], staff["support"]
    p = [people[f"P{i:03d}"] for i in range(1, 11)]
    script: list[tuple[int, int | None, Body]] = [(0, m, ev.DoorsOpened())]
    script += [
        (1, sid, ev.StaffOnDuty(staff_id=sid, post=post))
        for sid, post in [
            (m, "overall"),
            (f, "exchange"),
            (c1, "consultation"),
            (staff["counsellor2"], "consultation"),
            (staff["counsellor3"], "rest"),
            (sup, "info"),
        ]
    ]
    script += [
        (5 + i, sup, ev.ParticipantEntered(participant_id=pid, space="exchange", late=False))
        for i, pid in enumerate(p[:6])
    ]
    script.append((15, m, ev.MeetupStarted()))
    script += [
        (30 + 10 * i, sup, ev.ParticipantEntered(participant_id=pid, space="rest", late=True))
        for i, pid in enumerate(p[6:])
    ]
    script += [
        (40, f, ev.ParticipantMoved(participant_id=p[1], from_space="exchange", to_space="info")),
        (55, sup, cev.ConsultationRequested(participant_id=p[2])),
        (
            60,
            c1,
            cev.ConsultationStarted(
                request_seq=20, participant_id=p[2], room=1, counsellor_id=c1, record_id=record_id
            ),
        ),
        (
            95,
            c1,
            cev.ConsultationEnded(
                participant_id=p[2], room=1, to_space="exchange", record_id=record_id
            ),
        ),
        (
            100,
            c1,
            cev.ConsultationRecordSaved(
                record_id=record_id, participant_id=p[2], complete=True, topic="生活"
            ),
        ),
        (120, sup, ev.ParticipantLeft(participant_id=p[4])),
        (150, f, ev.StaffNotePosted(text="交流スペースで自己紹介の輪ができた。", for_report=True)),
        (195, None, ev.MeetupClosed(reason="schedule")),
    ]
    play(engine, meetup_id, [(doors + timedelta(minutes=m), a, b) for m, a, b in script])
