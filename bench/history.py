"""The `report` scenario: a synthetic history of many sessions, then the reports over it.

The history is built once per size into `var/bench/history-<sessions>x<participants>x<events>.db`
(with its own data key beside it) and reused: building 4 M encrypted events takes minutes and is
not what is measured. Sessions are spread 100 to a fiscal year; every session is a plausible
three hours (entries, moves, marks, notes, consultations, flags, warnings, leaving and coming
back, incidents, handoffs) whose events are valid for the live-state fold.
"""

import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, col, select

from console.consultations import events as cev
from console.demo import seed as seed_demo
from console.live.events import Recorded
from console.live.models import EventRow, Meetup
from console.moderation import events as mev
from console.reports.exports import to_xlsx
from console.reports.figures import session_figures
from console.reports.inputs import roster_key, staff_roster
from console.reports.models import FiguresCache
from console.reports.monthly_document import FreeText, build_monthly
from console.reports.summary import build_summary
from console.security.models import Staff
from console.session import events as ev
from console.session.models import Participant
from console.settings import TZ
from console.store import crypto
from console.store.db import make_engine, transaction
from console.store.schema import migrate
from console.web.composition import bootstrap

bootstrap()  # the domains, as the app starts them

ROOT = Path(__file__).resolve().parent.parent
PER_YEAR = 100
LAST_YEAR = 2025  # the newest fiscal year of the history; earlier ones precede it
SPACES = ["exchange", "rest", "info"]
TOPICS = ["生活", "家族関係", "就労", "就学", "健康", "居場所"]


def _script(rng: random.Random, people: list[int], staff: dict[str, int], events: int, doors):
    """(time, actor, body) for one session of about `events` events."""
    start, end = doors + timedelta(minutes=15), doors + timedelta(minutes=195)
    m, f, c1, sup = staff["manager"], staff["facilitator"], staff["counsellor1"], staff["support"]
    out = [(doors, m, ev.DoorsOpened())]
    for sid, post in [(m, "overall"), (f, "exchange"), (c1, "consultation")]:
        out.append((doors, sid, ev.StaffOnDuty(staff_id=sid, post=post)))
    out += [
        (
            doors,
            staff["counsellor2"],
            ev.StaffOnDuty(staff_id=staff["counsellor2"], post="consultation"),
        ),
        (doors, staff["counsellor3"], ev.StaffOnDuty(staff_id=staff["counsellor3"], post="rest")),
        (doors, sup, ev.StaffOnDuty(staff_id=sup, post="info")),
    ]
    where: dict[int, str] = {}
    attended: set[int] = set()
    waiting: dict[int, int] = {}  # participant -> request seq
    room: int | None = None  # participant in room 1
    record = 0  # that consultation's record id
    rest = events - len(out) - 2
    step = (end - doors - timedelta(minutes=1)) / max(1, rest)
    started = False
    arrivals = sorted(rng.sample(range(rest), min(len(people), rest)))
    queue = list(people)
    for n in range(rest):
        if len(out) >= events - 1:
            break
        at = doors + step * n
        if not started and at >= start:
            out.append((start, m, ev.MeetupStarted()))
            started = True
        if arrivals and n == arrivals[0]:
            arrivals.pop(0)
            pid = queue.pop()
            where[pid] = rng.choice(SPACES)
            out.append(
                (at, sup, ev.ParticipantEntered(participant_id=pid, space=where[pid], late=started))
            )
            attended.add(pid)
            continue
        present = [p for p in where if p != room]
        roll = rng.random()
        if not present:
            out.append((at, f, ev.StaffNotePosted(text=f"様子を見ています {n}")))
        elif roll < 0.45:
            pid = rng.choice(present)
            to = rng.choice([s for s in SPACES if s != where[pid]])
            out.append(
                (
                    at,
                    sup,
                    ev.ParticipantMoved(participant_id=pid, from_space=where[pid], to_space=to),
                )
            )
            where[pid] = to
        elif roll < 0.65:
            pid = rng.choice(present)
            out.append(
                (
                    at,
                    f,
                    ev.ParticipantMarked(
                        participant_id=pid, mark=rng.choice(["talking", "listening"])
                    ),
                )
            )
        elif roll < 0.80:
            out.append(
                (at, f, ev.StaffNotePosted(text=f"交流の様子 {n}", for_report=rng.random() < 0.02))
            )
        elif roll < 0.86:
            pid = rng.choice(present)
            waiting.pop(pid, None)
            del where[pid]
            out.append((at, sup, ev.ParticipantLeft(participant_id=pid)))
        elif roll < 0.92:
            back = [p for p in attended if p not in where]
            if back:
                pid = rng.choice(back)
                where[pid] = "exchange"
                out.append(
                    (
                        at,
                        sup,
                        ev.ParticipantEntered(participant_id=pid, space="exchange", late=False),
                    )
                )
            else:
                out.append((at, f, ev.StaffNotePosted(text="特記事項なし")))
        elif roll < 0.96:
            if room is not None:
                out.append(
                    (
                        at,
                        c1,
                        cev.ConsultationEnded(
                            participant_id=room, room=1, to_space="rest", record_id=record
                        ),
                    )
                )
                out.append(
                    (
                        at,
                        c1,
                        cev.ConsultationRecordSaved(
                            record_id=record,
                            participant_id=room,
                            complete=True,
                            topic=rng.choice(TOPICS),
                        ),
                    )
                )
                if rng.random() < 0.2:
                    out.append((at, c1, cev.HandoffConfirmed(handoff_id=record, record_id=record)))
                where[room] = "rest"
                room = None
            else:
                pid = rng.choice(present)
                if pid in waiting:
                    room, record = pid, len(out) + 1
                    out.append(
                        (
                            at,
                            c1,
                            cev.ConsultationStarted(
                                request_seq=waiting.pop(pid),
                                participant_id=pid,
                                room=1,
                                counsellor_id=c1,
                                record_id=record,
                            ),
                        )
                    )
                    where[pid] = "consultation"
                else:
                    waiting[pid] = len(out) + 1  # its seq once appended (seqs start at 1)
                    out.append((at, sup, cev.ConsultationRequested(participant_id=pid)))
        elif roll < 0.995:
            pid = rng.choice(present)
            out.append(
                (
                    at,
                    f,
                    mev.FlagRaised(
                        participant_id=pid,
                        description="",
                        space=where[pid],
                        reason="abuse",
                        note="",
                    ),
                )
            )
            out.append(
                (
                    at,
                    f,
                    mev.WarningGiven(
                        participant_id=pid, rule="abuse", wording="注意", flag_seq=len(out)
                    ),
                )
            )
        else:
            out.append(
                (
                    at,
                    sup,
                    mev.IncidentRecorded(
                        kind="system", what="通信障害", police=False, fire=False, actions="再接続"
                    ),
                )
            )
    if not started:
        out.append((start, m, ev.MeetupStarted()))
    out.append((end, None, ev.MeetupClosed(reason="schedule")))
    return out


def _shifted(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def build(path: Path, sessions: int, participants: int, events: int) -> float:
    """Write the history; returns the seconds it took. One fiscal year of sessions is scripted
    and encrypted once, then copied into the years before it with its times shifted (the same
    ciphertext is valid in any row: the payload's associated data is the column)."""
    began = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    seed_demo(engine)
    rng = random.Random(2026)
    with transaction(engine) as db:
        staff = {s.login_id: s.id for s in db.exec(select(Staff))}
        pool = []
        for i in range(max(participants * 20, 2000)):
            person = Participant(
                code=f"H{i:06d}",
                display_name=f"参加者{i}",
                age_bracket=rng.choice(["10s", "20s", "30s", "40s", "50s", "unknown"]),
                district=rng.choice(["shiba", "azabu", "akasaka", "takanawa", "shibaura_konan"]),
            )
            db.add(person)
            pool.append(person)
        db.flush()
        pool_ids = [p.id for p in pool]
    keyring = crypto.keyring()
    with Session(engine) as db:
        roster = staff_roster(db)
    template = []  # (day, [(at, actor, type, participant id, ciphertext)])
    for index in range(min(sessions, PER_YEAR)):
        day = date(LAST_YEAR, 4, 1) + timedelta(days=index * 365 // PER_YEAR)
        doors = datetime(day.year, day.month, day.day, 13, 45, tzinfo=TZ).astimezone(UTC)
        script = _script(rng, rng.sample(pool_ids, participants), staff, events, doors)
        template.append(
            (
                day,
                [
                    (
                        at,
                        actor,
                        body.type,
                        getattr(body, "participant_id", None),
                        keyring.encrypt(body.to_json(), context="event.payload"),
                        body,
                    )
                    for at, actor, body in script
                ],
            )
        )
    template_figures = [
        session_figures(
            meetup_id=0,
            doors_at=rows[0][0],
            ends_at=rows[0][0] + timedelta(minutes=195),
            events=[
                Recorded(0, seq, at, actor, "", body)
                for seq, (at, actor, _, _, _, body) in enumerate(rows, start=1)
            ],
            staff=roster,
        )
        for _, rows in template
    ]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for n in range(sessions):
            years, (day, rows) = n // PER_YEAR, template[n % PER_YEAR]
            when = _shifted(day, years)
            shift = datetime.combine(when, datetime.min.time()) - datetime.combine(
                day, datetime.min.time()
            )
            doors = datetime(when.year, when.month, when.day, 13, 45, tzinfo=TZ).astimezone(UTC)
            cursor.execute("BEGIN")  # the engine's connections are in autocommit mode
            cursor.execute(
                "INSERT INTO meetup (date, kind, doors_at, starts_at, ends_at, rooms, status,"
                " last_seq) VALUES (?, 'metaverse', ?, ?, ?, 2, 'closed', ?)",
                (
                    when.isoformat(),
                    _stored(doors),
                    _stored(doors + timedelta(minutes=15)),
                    _stored(doors + timedelta(minutes=195)),
                    len(rows),
                ),
            )
            meetup_id = cursor.lastrowid
            cursor.executemany(
                "INSERT INTO event (meetup_id, seq, type, actor_id, participant_id, at, payload,"
                " command_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        meetup_id,
                        seq,
                        type_,
                        actor,
                        pid,
                        _stored(at + shift),
                        payload,
                        f"h:{meetup_id}:{seq}",
                    )
                    for seq, (at, actor, type_, pid, payload, _) in enumerate(rows, start=1)
                ],
            )
            # As at every close, the session's figures are kept (commands.append_and_publish):
            # the template's, moved in time like its events.
            figures = replace(
                template_figures[n % PER_YEAR],
                meetup_id=meetup_id,
                doors_at=doors,
                ends_at=doors + timedelta(minutes=195),
                peak_at=template_figures[n % PER_YEAR].peak_at + shift,
                report_notes=[
                    (at + shift, t) for at, t in template_figures[n % PER_YEAR].report_notes
                ],
            )
            cursor.execute(
                "INSERT INTO figurescache (meetup_id, last_seq, roster, data) VALUES (?, ?, ?, ?)",
                (
                    meetup_id,
                    len(rows),
                    roster_key(roster),
                    keyring.encrypt(figures.to_json(), context="figures_cache.data"),
                ),
            )
            cursor.execute("COMMIT")
            if n % 100 == 99:
                print(f"    history: {n + 1}/{sessions} sessions", flush=True)
    finally:
        raw.close()
    engine.dispose()
    return time.perf_counter() - began


def _stored(at: datetime) -> str:
    """A UTC time as the UTCDateTime column stores it in SQLite."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _timed(fn, repeat: int = 3) -> dict:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return {"first_ms": round(times[0], 1), "median_ms": round(statistics.median(times), 1)}


def measure(sessions: int, participants: int, events: int) -> dict:
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"history-{sessions}x{participants}x{events}.db"
    key = folder / "history.key"
    if not key.exists():
        crypto.create_key_file(key)
    previous = crypto.keyring()
    crypto.use(crypto.Keyring.from_json(key.read_text()))
    try:
        out: dict = {
            "sessions": sessions,
            "participants": participants,
            "events_per_session": events,
        }
        if not path.exists():
            partial = path.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            out["history_build_seconds"] = round(build(partial, sessions, participants, events), 1)
            partial.rename(path)
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        with Session(engine) as db:
            out["events_total"] = db.exec(select(EventRow.id).order_by(EventRow.id.desc())).first()
            last = db.exec(
                select(Meetup)
                .where(Meetup.date < date(LAST_YEAR + 1, 4, 1))
                .order_by(Meetup.date.desc())
            ).first()
        february = (LAST_YEAR + 1, 2)  # late in the year: the year-to-date column has ~90 sessions
        march = (LAST_YEAR + 1, 3)

        def forget(*meetup_ids: int) -> None:
            with transaction(engine) as db:
                db.execute(delete(FiguresCache).where(col(FiguresCache.meetup_id).in_(meetup_ids)))

        def summary():
            with Session(engine) as db:
                assert build_summary(db, last.id) is not None

        def cold_summary():
            forget(last.id)
            summary()

        def monthly():
            with Session(engine) as db:
                build_monthly(db, *february, FreeText())

        def fiscal_xlsx():
            with Session(engine) as db:
                to_xlsx(build_monthly(db, *march, FreeText()))

        with Session(engine) as db:
            first_of_year = date(LAST_YEAR, 4, 1)
            year_ids = list(db.exec(select(Meetup.id).where(Meetup.date >= first_of_year)))

        def cold_monthly():
            forget(*year_ids)
            monthly()

        for name, fn, repeat, what in [
            (
                "summary_from_log",
                cold_summary,
                3,
                f"post-session summary read from the log ({events} events)",
            ),
            ("summary", summary, 3, "post-session summary (figures kept at close)"),
            (
                "monthly",
                monthly,
                3,
                f"monthly report {february[0]}-{february[1]:02d} (kept figures)",
            ),
            (
                "fiscal_year_xlsx",
                fiscal_xlsx,
                3,
                "fiscal-year xlsx (the March report, kept figures)",
            ),
            (
                "monthly_from_log",
                cold_monthly,
                1,
                "monthly report with nothing kept (every log read)",
            ),
        ]:
            out[name] = _timed(fn, repeat)
            print(f"  {what}: {out[name]}", flush=True)
        engine.dispose()
        return out
    finally:
        crypto.use(previous)
