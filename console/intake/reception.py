"""Reception at in-person drop-ins and family classes: staff check people in from the list of
checked applicants; a walk-in without a checked application enters only with the manager's
reason, and is then queued for the ward's check."""

import secrets
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from console.core import forms
from console.core.errors import Refused
from console.intake.applications import (
    parse_birth_date,
    parse_email,
    parse_kana,
    person_for,
)
from console.intake.models import Application, Person, TermsVersion
from console.intake.personal import PersonalData, name_birth_match, unseal
from console.intake.queries import ADMITTED, checked_for
from console.intake.vocab import ApplicantKind, ApplicationStatus, Channel
from console.live.models import Meetup
from console.security import audit
from console.session.models import FamilyMember, Participant, code_lookup
from console.session.vocab import AgeBracket, MeetupKind, Relation
from console.settings import TZ
from console.store.columns import utcnow


@dataclass(frozen=True)
class Arrival:
    application: Application
    person: Person
    data: PersonalData
    checked: bool


def expected(db: Session, meetup: Meetup) -> list[Arrival]:
    """Who applied for this session and may be checked in (checked, or admitted walk-ins)."""
    rows = db.exec(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(Application.meetup_id == meetup.id)
        .where(col(Application.status).in_([*ADMITTED, ApplicationStatus.RECEIVED]))
        .order_by(Application.id)
    ).all()
    arrivals = [Arrival(a, p, unseal(p), checked_for(p, meetup)) for a, p in rows]
    return [a for a in arrivals if a.checked or a.application.walk_in_reason]


def participant_code(db: Session, person: Person) -> str:
    """The participant record a person is entered under, created at their first arrival."""
    if person.participant_id is not None:
        return db.get(Participant, person.participant_id).code
    data = unseal(person)
    while db.exec(code_lookup(code := f"R{secrets.randbelow(900_000) + 100_000}")).first():
        pass
    participant = Participant(
        code=code,
        display_name=data.name,
        age_bracket=AgeBracket.of_age(data.age_on(utcnow().date())),
        district=person.district,
    )
    db.add(participant)
    db.flush()
    if person.kind == ApplicantKind.FAMILY:  # counted as family, never as a 当事者
        relation = Relation.of_text(data.relation)
        db.add(FamilyMember(participant_id=participant.id, relation=relation))
    person.participant_id = participant.id
    db.add(person)
    return code


def arrival_code(db: Session, *, meetup: Meetup, application_id: int) -> str:
    application = db.get(Application, application_id)
    if application is None or application.meetup_id != meetup.id:
        raise Refused("この回の申込が見つかりません。", status=404)
    person = db.get(Person, application.person_id)
    if not (checked_for(person, meetup) or application.walk_in_reason):
        raise Refused(
            "区の確認が済んでいない申込です。当日参加は管理者が理由を入力して受け付けてください。"
        )
    return participant_code(db, person)


def _walked_in(db: Session, meetup: Meetup, by_name_birth: str) -> Person | None:
    return db.exec(
        select(Person)
        .join(Application, Application.person_id == Person.id)
        .where(
            Person.name_birth_match == by_name_birth,
            Application.meetup_id == meetup.id,
        )
    ).first()


def walk_in(db: Session, *, meetup: Meetup, form, staff_id: int) -> str:
    """Admit someone without a checked application on the manager's reason; queue them for
    the ward's check. Returns the participant code to enter them under."""
    if meetup.kind == MeetupKind.METAVERSE:
        raise Refused("当日参加の受付は、対面の居場所と家族教室の回だけです。", status=404)
    reason = forms.clean(form.get("reason"), label="当日参加を受け付ける理由", max_len=300)
    name = forms.one_line(form, "name", label="氏名", max_len=60)
    kana = parse_kana(form)
    address = forms.one_line(form, "address", label="住所", max_len=200)
    born = parse_birth_date(form, utcnow().astimezone(TZ).date())
    given = bool((form.get("email") or "").strip())
    email = parse_email(form) if given else f"walk-in-{uuid.uuid4().hex[:12]}@invalid"
    terms = db.exec(
        select(TermsVersion)
        .where(TermsVersion.service == meetup.kind, col(TermsVersion.approved_at).is_not(None))
        .order_by(col(TermsVersion.version).desc())
    ).first()
    if terms is None:
        raise Refused("この種類の回の利用規約が承認されていないため、受け付けられません。")
    data = PersonalData(name=name, kana=kana, address=address, birth_date=born, email=email)
    # Without an email, the same 氏名+生年月日 is the same walk-in (a second click, or the
    # person coming back): one person, one application for the session, one entry.
    same = None if given else _walked_in(db, meetup, name_birth_match(name, born))
    person = same or person_for(db, data, ApplicantKind.SELF)
    earlier = db.exec(
        select(Application).where(
            Application.person_id == person.id, Application.meetup_id == meetup.id
        )
    ).first()
    if earlier is not None:
        if not earlier.walk_in_reason:  # applied, not yet checked: admitted on this reason
            earlier.walk_in_reason, earlier.entered_by = reason, staff_id
            db.add(earlier)
        return participant_code(db, person)
    db.add(
        Application(
            person_id=person.id,
            service=meetup.kind,
            fiscal_year=meetup.date.year if meetup.date.month >= 4 else meetup.date.year - 1,
            meetup_id=meetup.id,
            channel=Channel.PAPER,
            terms_id=terms.id,
            status=ApplicationStatus.RECEIVED,
            client_token=uuid.uuid4().hex,
            entered_by=staff_id,
            walk_in_reason=reason,
        )
    )
    db.flush()
    audit.record(db, action="reception.walk_in", staff_id=staff_id, target=f"person:{person.id}")
    return participant_code(db, person)
