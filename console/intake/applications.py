"""Receiving an application (spec 6(1)④ア, 6(3)③, 6(4)⑦): from the public form, or entered by
staff for someone who phoned, wrote or came in.

One application per submission (a client token), the same answer whether or not the email is
already known, and a person who may match a blocked one held for the manager — never refused,
never told.
"""

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from console.core import forms
from console.core.errors import Refused
from console.intake import contact
from console.intake.models import Application, Person, fiscal_year_of
from console.intake.personal import PersonalData, email_match, name_birth_match, seal
from console.intake.queries import current_terms
from console.intake.towns import district_of
from console.intake.vocab import ApplicantKind, ApplicationStatus, Channel, Residency
from console.live.models import Meetup
from console.moderation.commands import current_block
from console.session.vocab import MeetupKind, MeetupStatus
from console.store import outbox

TOKEN = re.compile(r"[0-9a-f]{32}")
RECEIPT_SUBJECT = "【港区ひきこもり居場所支援】お申込みを受け付けました"


@dataclass(frozen=True)
class Submission:
    service: MeetupKind
    kind: ApplicantKind
    data: PersonalData
    meetup_id: int | None
    terms_id: int
    token: str


class Invalid(Refused):
    """A form with mistakes: each field's Japanese message, so the page can link to it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("入力内容をご確認ください。", status=422)
        self.errors = errors


def parse(form: Mapping[str, str], *, service: MeetupKind, today: dt.date) -> Submission:
    """The submission, or Invalid naming every field that needs another look."""
    errors: dict[str, str] = {}

    def field(name: str, check):
        try:
            return check()
        except Refused as refused:
            errors[name] = refused.message
            return None

    kind = field("kind", lambda: forms.choice(form, "kind", ApplicantKind, label="お申込みの方"))
    name = field("name", lambda: forms.one_line(form, "name", label="お名前", max_len=60))
    kana = field("kana", lambda: parse_kana(form))
    address = field("address", lambda: forms.one_line(form, "address", label="ご住所", max_len=200))
    born = field("birth_date", lambda: parse_birth_date(form, today))
    email = field("email", lambda: parse_email(form))
    phone = field("phone", lambda: _phone(form))
    relation = ""
    if kind == ApplicantKind.FAMILY:
        relation = field(
            "relation",
            lambda: forms.one_line(form, "relation", label="ご本人とのご関係", max_len=30),
        )
    meetup_id = None
    if service != MeetupKind.METAVERSE:
        meetup_id = forms.record_id(form.get("meetup_id"))
        if meetup_id is None:
            errors["meetup_id"] = "参加を希望する回を選んでください。"
    terms_id = forms.record_id(form.get("terms_id"))
    if not forms.checkbox(form, "consent"):
        errors["consent"] = "利用規約をお読みいただき、「同意します」にチェックをしてください。"
    token = (form.get("token") or "").strip()
    if not TOKEN.fullmatch(token) or terms_id is None:
        errors["form"] = "ページの有効期限が切れました。お手数ですが、ページを開き直してください。"
    if errors:
        raise Invalid(errors)
    data = PersonalData(
        name=name,
        kana=kana,
        address=address,
        birth_date=born,
        email=email,
        phone=phone,
        relation=relation or "",
    )
    return Submission(service, kind, data, meetup_id, terms_id, token)


def parse_kana(form) -> str:
    value = forms.one_line(form, "kana", label="ふりがな", max_len=60)
    if not re.fullmatch(r"[\u3041-\u309f\u30a0-\u30ff\u3000 ー・]+", value):
        raise Refused("ふりがなは、ひらがなかカタカナで入力してください。")
    return value


def parse_birth_date(form, today: dt.date) -> dt.date:
    born = forms.day(form.get("birth_date"), first=1, last=9999)  # range checked below
    if born is None:
        raise Refused("生年月日を「2000-04-01」の形で入力してください。")
    if born > today:
        raise Refused("生年月日が未来の日付になっています。")
    if not dt.date(today.year - 110, 1, 1) <= born <= dt.date(today.year - 10, 12, 31):
        raise Refused("生年月日をご確認ください。")
    return born


def parse_email(form) -> str:
    return forms.email(form, "email", label="メールアドレス")


def _phone(form) -> str:
    return forms.phone(form, "phone", label="電話番号")


def receive(
    db: Session, submission: Submission, *, channel: Channel, today: dt.date, staff_id: int | None
) -> Application:
    """Store the application (once per token) and queue its receipt. Refused only for what
    the applicant can put right: terms that changed meanwhile, a session no longer open."""
    earlier = db.exec(
        select(Application).where(Application.client_token == submission.token)
    ).first()
    if earlier is not None:
        return earlier
    terms = current_terms(db, submission.service)
    if terms is None or terms.id != submission.terms_id:
        raise Refused(
            "利用規約が更新されました。お手数ですが、ページを開き直してご確認ください。", status=409
        )
    fiscal_year = fiscal_year_of(today)
    if submission.meetup_id is not None:
        meetup = db.get(Meetup, submission.meetup_id)
        if (
            meetup is None
            or meetup.kind != submission.service
            or meetup.status == MeetupStatus.CLOSED
        ):
            raise Refused(
                "選ばれた回は申込を受け付けていません。別の回をお選びください。", status=409
            )
        fiscal_year = fiscal_year_of(meetup.date)
    person = person_for(db, submission.data, submission.kind)
    same = select(Application).where(
        Application.person_id == person.id,
        Application.service == submission.service,
        Application.fiscal_year == fiscal_year,
        Application.meetup_id == submission.meetup_id,
        col(Application.status) != ApplicationStatus.WITHDRAWN,
    )
    existing = db.exec(same).first()
    if existing is not None:
        return existing  # the same answer: nothing tells a second applicant the first exists
    checked = person.residency == Residency.CONFIRMED and person.checked_fiscal_year == fiscal_year
    application = Application(
        person_id=person.id,
        service=submission.service,
        fiscal_year=fiscal_year,
        meetup_id=submission.meetup_id,
        channel=channel,
        terms_id=terms.id,
        status=ApplicationStatus.CONFIRMED if checked else ApplicationStatus.RECEIVED,
        held=_may_be_blocked(db, person),
        client_token=submission.token,
        entered_by=staff_id,
    )
    db.add(application)
    db.flush()
    outbox.enqueue(
        db,
        key=f"apply-receipt:{application.id}",
        to_addr=submission.data.email,
        subject=RECEIPT_SUBJECT,
        body=_receipt(submission.data.name),
    )
    return application


def known(db: Session, data: PersonalData) -> Person | None:
    """The applicant already on file with this email and 氏名+生年月日."""
    return db.exec(
        select(Person).where(
            Person.email_match == email_match(data.email),
            Person.name_birth_match == name_birth_match(data.name, data.birth_date),
        )
    ).first()


def person_for(db: Session, data: PersonalData, kind: str) -> Person:
    """The applicant with this email *and* 氏名+生年月日, or a new one: a household sharing one
    address (a parent and their child, two siblings) are different people, each kept."""
    person = known(db, data)
    if person is not None:
        return person
    uid = uuid.uuid4().hex
    person = Person(
        uid=uid,
        kind=kind,
        sealed=seal(uid, data),
        district=district_of(data.address),
        email_match=email_match(data.email),
        name_birth_match=name_birth_match(data.name, data.birth_date),
    )
    db.add(person)
    db.flush()
    return person


def _may_be_blocked(db: Session, person: Person) -> bool:
    """Another person record with the same 氏名+生年月日 or email holds an active block."""
    twins = db.exec(
        select(Person).where(
            Person.id != person.id,
            col(Person.participant_id).is_not(None),
            or_(
                Person.name_birth_match == person.name_birth_match,
                Person.email_match == person.email_match,
            ),
        )
    ).all()
    candidates = [person, *twins]
    return any(p.participant_id and current_block(db, p.participant_id) for p in candidates)


def _receipt(name: str) -> str:
    return "\n".join(
        [
            f"{name} 様",
            "",
            "港区ひきこもり居場所支援へのお申込みを受け付けました。",
            "区で確認をしたあと、参加のためのIDとパスワードをこのアドレスにお送りします。",
            "しばらくお待ちください。",
            "",
            "お心当たりのない場合は、このメールを破棄してください。",
            "本メールは送信専用です。" + contact.ask(),
        ]
    )
