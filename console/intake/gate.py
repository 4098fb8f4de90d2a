"""The entry gate (spec 6(1)⑥ウ): a participant's ID, password and consent to the current
terms, checked in the one transaction that records the entry.

What a participant reads never tells them more than they gave: an unknown ID and a wrong
password get the same message, and not checked, not eligible, no application and blocked all
get the same kind refusal. The manager sees the real reason live (a `GateRefused` event, or
moderation's `EntryRefused` for a blocked person).
"""

import math
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

import anyio
from sqlmodel import Session, select

from console.core.templating import jst_date
from console.intake import contact
from console.intake import events as ev
from console.intake.events import GateReason
from console.intake.models import Person
from console.intake.queries import application_for, checked_for, current_terms
from console.intake.vocab import Residency
from console.live.commands import append_and_publish
from console.live.eventlog import fingerprint
from console.live.models import Meetup
from console.live.registry import current
from console.security import auth
from console.session import events as sev
from console.session.commands.attendance import is_late
from console.session.models import code_lookup
from console.session.state import LiveState
from console.session.vocab import MeetupStatus, Space
from console.settings import TZ
from console.store.db import transaction

WRONG = "IDまたはパスワードが違います。お手元のメールをご確認のうえ、もう一度入力してください。"
EMPTY = "メールでお送りしたIDとパスワードを入力してください。"
SORRY = "申し訳ありません。この回にはご入室いただけません。"
MESSAGES = {
    GateReason.WRONG_CREDENTIALS: WRONG,
    GateReason.NO_CONSENT: "ご入室の前に、利用規約をお読みいただき「同意します」にチェックをしてください。",
    GateReason.CLOSED: "この回は終了しました。次の回でお待ちしています。",
    GateReason.PRESENT: "すでにご入室済みです。メタバースの画面にお戻りください。",
}


@dataclass(frozen=True)
class Passage:
    admitted: bool
    message: str
    status: int = 200
    participant_id: int | None = None  # who was admitted


def _message(reason: str, meetup: Meetup, wait: float = 0.0) -> str:
    if reason == GateReason.NOT_OPEN:
        doors = meetup.doors_at.astimezone(TZ)
        day = "" if doors.date() == datetime.now(TZ).date() else f"{jst_date(doors)} "
        return f"まだ入室の受付前です。{day}{doors:%H:%M} から入室できます。"
    if reason == GateReason.THROTTLED:
        return f"入力の誤りが続いたため、{_about(wait)}待ってから、もう一度お試しください。"
    return MESSAGES.get(reason) or SORRY + contact.ask()


def _about(seconds: float) -> str:
    """「30秒ほど」「2分ほど」: how long to wait, rounded up."""
    if seconds <= 60:
        return f"{max(1, math.ceil(seconds))}秒ほど"
    return f"{math.ceil(seconds / 60)}分ほど"


def _person(db: Session, participant_id: int) -> Person | None:
    return db.exec(select(Person).where(Person.participant_id == participant_id)).first()


def _who(engine, code: str, password: str, key: str) -> tuple[int | None, bool, float]:
    """(participant id, password ok, seconds to wait) — the slow hash outside any transaction."""
    with Session(engine) as db:
        if wait := auth.waiting(db, key):
            return None, False, wait
        participant = db.exec(code_lookup(code)).first() if code else None
        person = _person(db, participant.id) if participant is not None else None
    ok = auth.verify_password(person.password_hash if person else None, password)
    with transaction(engine) as db:
        if ok:
            auth.clear_failures(db, key)
        else:
            auth.count_failure(db, key)
    return (participant.id if ok else None), ok, 0.0


async def pass_gate(
    hub, *, meetup_id: int, code: str, password: str, consent: bool, address: str
) -> Passage:
    """Check one entry at the gate and record its outcome in the meetup's log."""
    live = await hub.live(meetup_id)
    code = unicodedata.normalize("NFKC", code).strip().upper()  # 「ｍ１０００01」 is M100001
    if not code or not password:
        return Passage(False, EMPTY, 422)  # nothing to check: not a failed attempt
    key = auth.throttle_key(code, address, door="entry")
    participant_id, ok, wait = await anyio.to_thread.run_sync(_who, hub.engine, code, password, key)
    if wait:
        return Passage(False, _message(GateReason.THROTTLED, live.meetup, wait), 429)

    def decide(db: Session, state: LiveState):
        meetup = db.get(Meetup, meetup_id)
        if not ok:
            return ev.GateRefused(participant_id=None, reason=GateReason.WRONG_CREDENTIALS)
        person = _person(db, participant_id)
        terms = current_terms(db, meetup.kind)
        refusal = _refusal(db, state, meetup, person, terms, consent)
        if refusal is not None:
            return ev.GateRefused(participant_id=participant_id, reason=refusal)
        entry = sev.ParticipantEntered(
            participant_id=participant_id, space=Space.EXCHANGE, late=False
        )
        instead = current().screen(db, state, entry)
        if instead is not None:
            return instead  # blocked: moderation records the refused entry

        def consented(db: Session, event, before) -> None:
            person.terms_consented_id = terms.id
            db.add(person)

        late = is_late(db, state, participant_id)
        body = sev.ParticipantEntered(
            participant_id=participant_id, space=Space.EXCHANGE, late=late
        )
        return body, consented

    appended = await append_and_publish(
        hub,
        meetup_id=meetup_id,
        actor_id=None,
        command_id=f"gate:{uuid.uuid4().hex}",
        fingerprint=fingerprint("gate", {}),
        decide=decide,
    )
    body = appended.event.body
    if isinstance(body, sev.ParticipantEntered):
        return Passage(
            True, "ようこそ。ご入室の準備ができました。", participant_id=body.participant_id
        )
    reason = getattr(body, "reason", "")
    status = 401 if reason == GateReason.WRONG_CREDENTIALS else 403
    return Passage(
        False, _message(reason if isinstance(body, ev.GateRefused) else "", live.meetup), status
    )


def _refusal(
    db, state: LiveState, meetup: Meetup, person: Person, terms, consent: bool
) -> str | None:
    if state.status == MeetupStatus.CLOSED:
        return GateReason.CLOSED
    if not state.is_open:
        return GateReason.NOT_OPEN
    if person.residency == Residency.INELIGIBLE:
        return GateReason.INELIGIBLE
    if not checked_for(person, meetup):
        return GateReason.UNCHECKED
    if application_for(db, person, meetup) is None:
        return GateReason.NO_APPLICATION
    if terms is None or (person.terms_consented_id != terms.id and not consent):
        return GateReason.NO_CONSENT
    if person.participant_id in state.present:
        return GateReason.PRESENT
    return None
