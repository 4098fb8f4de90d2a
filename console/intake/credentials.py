"""Participant ID and password by email (spec 6(1)④ウ), with a second staff member confirming
the address before the email is queued (spec 12(5)(ウ)). The password is made at confirmation:
it exists in the email alone (argon2id-hashed here). A reissue works the same way and the old
password stops working."""

import secrets

from sqlmodel import Session, col, select

from console import settings
from console.core.errors import Refused
from console.intake import contact
from console.intake.models import Application, CredentialNotice, Person
from console.intake.personal import unseal
from console.intake.vocab import ApplicationStatus, Residency
from console.security.auth import hash_password
from console.session.models import Participant, code_lookup
from console.session.vocab import AgeBracket
from console.store import outbox
from console.store.columns import utcnow

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from a letter, typed right
SUBJECT = "【港区ひきこもり居場所支援】参加のためのIDとパスワード"


def readable_password() -> str:
    """Twelve characters from an unambiguous alphabet, in groups of four (about 59 bits)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def prepare(db: Session, *, person_id: int, staff_id: int) -> CredentialNotice:
    person = db.get(Person, person_id)
    if person is None:
        raise Refused("申込者が見つかりません。", status=404)
    if person.residency == Residency.INELIGIBLE:
        raise Refused("区の確認で対象外とされた方のため、IDを発行できません。")
    if person.residency != Residency.CONFIRMED:
        raise Refused("区の確認が済んでいないため、IDを発行できません。")
    held = db.exec(
        select(Application).where(Application.person_id == person_id, Application.held)
    ).first()
    if held is not None:
        raise Refused(
            "ブロック中の方と一致する可能性がある申込です。先に管理者が判断してください。"
        )
    open_notice = db.exec(
        select(CredentialNotice).where(
            CredentialNotice.person_id == person_id, col(CredentialNotice.confirmed_at).is_(None)
        )
    ).first()
    if open_notice is not None:
        return open_notice
    notice = CredentialNotice(
        person_id=person_id,
        to_addr=unseal(person).email,
        reissue=person.password_hash is not None,
        prepared_by=staff_id,
    )
    db.add(notice)
    db.flush()
    return notice


def confirm(db: Session, *, notice_id: int, staff_id: int) -> CredentialNotice:
    notice = db.get(CredentialNotice, notice_id)
    if notice is None:
        raise Refused("送付予定の通知が見つかりません。", status=404)
    if notice.confirmed_at is not None:
        raise Refused("この通知はすでに確認済みです。", status=409)
    if notice.prepared_by == staff_id:
        raise Refused(
            "作成した職員とは別の職員が宛先を確認してください(個人情報を含む通知は複数人で確認します)。"
        )
    person = db.get(Person, notice.person_id)
    data = unseal(person)
    participant = db.get(Participant, person.participant_id) if person.participant_id else None
    if participant is None:
        participant = Participant(
            code=_new_code(db),
            display_name="(アバター名未登録)",
            age_bracket=AgeBracket.of_age(data.age_on(utcnow().date())),
            district=person.district,
        )
        db.add(participant)
        db.flush()
        person.participant_id = participant.id
    password = readable_password()
    person.password_hash = hash_password(password)
    db.add(person)
    for application in db.exec(
        select(Application).where(
            Application.person_id == person.id, Application.status == ApplicationStatus.CONFIRMED
        )
    ):
        application.status = ApplicationStatus.CREDENTIALS_SENT
        db.add(application)
    notice.confirmed_by, notice.confirmed_at = staff_id, utcnow()
    db.add(notice)
    outbox.enqueue(
        db,
        key=f"credentials:{notice.id}",
        to_addr=notice.to_addr,
        subject=SUBJECT,
        body=_letter(data.name, participant.code, password, reissue=notice.reissue),
    )
    return notice


def _new_code(db: Session) -> str:
    while True:
        code = f"M{secrets.randbelow(900_000) + 100_000}"
        if db.exec(code_lookup(code)).first() is None:
            return code


def _letter(name: str, code: str, password: str, *, reissue: bool) -> str:
    entry = (
        f"{settings.PUBLIC_BASE_URL.rstrip('/')}/entry" if settings.PUBLIC_BASE_URL else "/entry"
    )
    return "\n".join(
        [
            f"{name} 様",
            "",
            "港区ひきこもり居場所支援の"
            + ("IDとパスワードを再発行しました。" if reissue else "参加の準備ができました。"),
            "当日は、入室ページで次のIDとパスワードを入力してください。",
            "",
            f"ID: {code}",
            f"パスワード: {password}",
            f"入室ページ: {entry}",
            "",
            "パスワードは他の人に教えないでください。"
            + ("以前のパスワードは使えなくなりました。" if reissue else ""),
            "このメールへの返信はできません。" + contact.ask(),
        ]
    )
