"""What reports read besides the log's figures: the staff roster, participants' attributes,
and each closed session's figures, kept so a year of reports need not re-read every event."""

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from console.intake.models import Application, Person, fiscal_year_of
from console.intake.personal import unseal
from console.intake.vocab import ApplicationStatus
from console.live import eventlog
from console.live.models import Meetup
from console.reports.figures import SessionFigures, StaffInfo, session_figures
from console.reports.kept import disposed
from console.reports.models import FiguresCache
from console.schedule import plans
from console.security.models import Staff
from console.session.models import FamilyMember, Participant
from console.session.vocab import AgeBracket, MeetupKind, MeetupStatus
from console.settings import TZ
from console.store.columns import utcnow
from console.store.db import is_writing, transaction


def staff_roster(db: Session) -> dict[int, StaffInfo]:
    return {
        s.id: StaffInfo(role=s.role, qualification=s.qualification) for s in db.exec(select(Staff))
    }


def figures_of(db: Session, meetup: Meetup, staff: Mapping[int, StaffInfo]) -> SessionFigures:
    """One meetup's figures from its whole log (an open meetup measured up to now). A closed
    meetup's figures are kept in `FiguresCache` and reused while its log and the roster stand."""
    closed = meetup.status == MeetupStatus.CLOSED
    roster = roster_key(staff)
    if closed:
        cached = db.get(FiguresCache, meetup.id)
        if cached is not None and (
            (cached.last_seq, cached.roster) == (meetup.last_seq, roster) or disposed(db)
        ):
            return SessionFigures.from_json(cached.data)
    events = eventlog.read_since(db, meetup.id, 0)
    figures = session_figures(
        meetup_id=meetup.id,
        doors_at=meetup.doors_at,
        ends_at=meetup.ends_at,
        events=events,
        staff=staff,
        until=None if closed else utcnow(),
    )
    if closed and events and events[-1].seq == meetup.last_seq:
        kept = FiguresCache(
            meetup_id=meetup.id, last_seq=meetup.last_seq, roster=roster, data=figures.to_json()
        )
        if is_writing(db):
            db.merge(kept)  # a second writer beside this one would wait for it forever
        else:
            _keep(db.get_bind(), kept)
    return figures


def keep_figures(engine, meetup_id: int) -> None:
    """Compute and keep a closed meetup's figures (run when it closes)."""
    with Session(engine) as db:
        meetup = db.get(Meetup, meetup_id)
        if meetup is not None:
            figures_of(db, meetup, staff_roster(db))


def roster_key(staff: Mapping[int, StaffInfo]) -> str:
    # The figures' version leads the key: figures kept by an older version are computed again.
    text = json.dumps(["v2", *sorted((k, v.role, v.qualification) for k, v in staff.items())])
    return hashlib.sha256(text.encode()).hexdigest()


def _keep(engine, kept: FiguresCache) -> None:
    """Store figures in a short transaction of their own; losing a race to store them is fine."""
    with contextlib.suppress(IntegrityError), transaction(engine) as db:
        db.merge(kept)


def attributes(db: Session, participant_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """participant id -> (age bracket, district): the attributes the ward's report asks for."""
    ids = sorted(set(participant_ids))
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(Participant.id, Participant.age_bracket, Participant.district)
        for pid, age, district in db.exec(query.where(col(Participant.id).in_(chunk))):
            found[pid] = (age, district)
    return found


def relations(db: Session, participant_ids: Iterable[int]) -> dict[int, str]:
    """participant id -> relation, for the participants who take part as family members."""
    ids = sorted(set(participant_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(FamilyMember).where(col(FamilyMember.participant_id).in_(chunk))
        found.update((m.participant_id, m.relation) for m in db.exec(query))
    return found


def applicants(db: Session, meetups: Iterable[Meetup]) -> dict[int, dict[int, tuple[str, str]]]:
    """meetup id -> {person id: (age bracket at the session's date, district)}: who applied
    for each session (spec 6(7)①). An in-person or family-class application names its session;
    a metaverse registration (one per fiscal year) counts for the first metaverse session on or
    after the day it was received."""
    meetups = list(meetups)
    found: dict[int, dict[int, tuple[str, str]]] = {m.id: {} for m in meetups}
    by_id = {m.id: m for m in meetups}
    years = {fiscal_year_of(m.date) for m in meetups}
    rows = db.exec(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(col(Application.fiscal_year).in_(years))
        .where(Application.status != ApplicationStatus.WITHDRAWN)
    ).all()
    metaverse = sorted(
        db.exec(select(Meetup).where(Meetup.kind == MeetupKind.METAVERSE)),
        key=lambda m: (m.date, m.starts_at),
    )
    for application, person in rows:
        if application.meetup_id is not None:
            meetup = by_id.get(application.meetup_id)
        else:
            received = application.received_at.astimezone(TZ).date()
            meetup = next(
                (
                    m
                    for m in metaverse
                    if m.date >= received and fiscal_year_of(m.date) == application.fiscal_year
                ),
                None,
            )
            meetup = by_id.get(meetup.id) if meetup else None
        if meetup is None:
            continue
        age = unseal(person).age_on(meetup.date)
        found[meetup.id][person.id] = (AgeBracket.of_age(age), person.district)
    return found


def class_info(
    db: Session, meetups: Iterable[Meetup], figures: Mapping[int, SessionFigures]
) -> dict[int, tuple[str, str, tuple[str, ...]]]:
    """meetup id -> (lecturer, theme, workshop groups) of each family class."""
    classes = [m for m in meetups if m.kind == MeetupKind.FAMILY_CLASS]
    found = plans.plans_of(db, (m.id for m in classes))
    info = {}
    for m in classes:
        plan = found.get(m.id)
        groups = tuple(figures[m.id].groups) if m.id in figures else ()
        info[m.id] = (plan.lecturer if plan else "", plan.theme if plan else "", groups)
    return info
