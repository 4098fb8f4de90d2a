"""Reception at in-person drop-ins and family classes: staff check people in from the list of
checked applicants; a walk-in without a checked application enters only with the manager's
reason, and is then queued for the ward's check."""

import secrets
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from console.core import forms
from console.core.errors import Refused
from console.intake.applications import person_for
from console.intake.models import Application, Person, TermsVersion
from console.intake.personal import PersonalData, unseal
from console.intake.queries import ADMITTED, checked_for
from console.intake.vocab import ApplicantKind, ApplicationStatus, Channel
from console.live.models import Meetup
from console.session.models import FamilyMember, Participant, code_lookup
from console.session.vocab import AgeBracket, Relation
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


def walk_in(db: Session, *, meetup: Meetup, form, staff_id: int) -> str:
    """Admit someone without a checked application on the manager's reason; queue them for
    the ward's check. Returns the participant code to enter them under."""
    reason = forms.clean(form.get("reason"), label="当日参加を受け付ける理由", max_len=300)
    name = forms.one_line(form, "name", label="氏名", max_len=60)
    kana = forms.one_line(form, "kana", label="ふりがな", max_len=60)
    address = forms.one_line(form, "address", label="住所", max_len=200)
    born = forms.day(form.get("birth_date"), first=1900, last=utcnow().year)
    if born is None:
        raise Refused("生年月日を「2000-04-01」の形で入力してください。")
    email = (form.get("email") or "").strip()[:254] or f"walk-in-{uuid.uuid4().hex[:12]}@invalid"
    terms = db.exec(
        select(TermsVersion)
        .where(TermsVersion.service == meetup.kind, col(TermsVersion.approved_at).is_not(None))
        .order_by(col(TermsVersion.version).desc())
    ).first()
    if terms is None:
        raise Refused("この種類の回の利用規約が承認されていないため、受け付けられません。")
    data = PersonalData(name=name, kana=kana, address=address, birth_date=born, email=email)
    person = person_for(db, data, ApplicantKind.SELF)
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
    return participant_code(db, person)
