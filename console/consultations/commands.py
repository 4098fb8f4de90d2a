"""Individual consultations (spec 6(1)①ウ,エ): the queue, the rooms and the records (sharing
with the helpline is `sharing.py`).

Records and handoffs live in their own tables with content encrypted; the events that
record what happened to them carry ids and counts only.
"""

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from console import settings
from console.consultations import events as ev
from console.consultations.models import ConsultationRecord, RecordSharing
from console.core import forms
from console.core.errors import Refused
from console.live.eventlog import Decide
from console.live.events import Body, Recorded
from console.live.models import Meetup
from console.security.models import Staff
from console.session.commands.attendance import check_space
from console.session.models import Participant
from console.session.state import LiveState
from console.session.vocab import AgeBracket, Gender, Space
from console.store.columns import utcnow

TEXT_MAX = 4000
AMEND_MAX = 500


def _present(db: Session, state: LiveState, participant_id: int) -> Participant:
    participant = db.get(Participant, participant_id)
    if participant is None:
        raise Refused("参加者が見つかりません。")
    if participant_id not in state.present:
        raise Refused(f"{participant.label}さんは現在入室していません。")
    return participant


def request(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")

    def decide(db: Session, state: LiveState) -> Body:
        participant = _present(db, state, participant_id)
        if any(w.participant_id == participant_id for w in state.queue.values()):
            raise Refused(f"{participant.label}さんはすでに相談の順番待ちです。")
        if state.room_of(participant_id):
            raise Refused(f"{participant.label}さんは相談中です。")
        return ev.ConsultationRequested(participant_id=participant_id)

    return decide


def cancel(form: Mapping[str, str], actor: Staff) -> Decide:
    request_seq = forms.positive_id(form, "request_seq", label="相談希望")

    def decide(db: Session, state: LiveState) -> Body:
        waiting = state.queue.get(request_seq)
        if waiting is None:
            raise Refused("この相談希望はすでに対応済みです。")
        return ev.ConsultationCancelled(
            request_seq=request_seq, participant_id=waiting.participant_id
        )

    return decide


def take(form: Mapping[str, str], actor: Staff) -> Decide:
    request_seq = forms.positive_id(form, "request_seq", label="相談希望")
    room = forms.positive_id(form, "room", label="個別相談室")

    def decide(db: Session, state: LiveState) -> Body:
        waiting = state.queue.get(request_seq)
        if waiting is None:
            raise Refused("この相談希望はすでに対応済みです。")
        rooms = db.get(Meetup, state.meetup_id).rooms
        if room > rooms:
            raise Refused(f"個別相談室は{rooms}室です。")
        if room in state.rooms:
            raise Refused(f"個別相談室{room}は使用中です。")
        if actor.id not in state.on_duty:
            raise Refused("相談を担当するには、先に「勤務開始」を押してください。")
        record = ConsultationRecord(
            meetup_id=state.meetup_id,
            start_seq=state.seq + 1,
            room=room,
            participant_id=waiting.participant_id,
            counsellor_id=actor.id,
            started_at=utcnow(),
        )
        db.add(record)
        db.flush()
        return ev.ConsultationStarted(
            request_seq=request_seq,
            participant_id=waiting.participant_id,
            room=room,
            counsellor_id=actor.id,
            record_id=record.id,
        )

    return decide


def end(form: Mapping[str, str], actor: Staff) -> Decide:
    room = forms.positive_id(form, "room", label="個別相談室")
    to_space = forms.choice(form, "to_space", Space, label="相談後のスペース")
    if to_space == Space.CONSULTATION:
        raise Refused("相談後のスペースには個別相談室以外を選んでください。")

    def decide(db: Session, state: LiveState):
        in_room = state.rooms.get(room)
        if in_room is None:
            raise Refused(f"個別相談室{room}では相談は行われていません。")
        check_space(db, state, to_space)

        def ended(db: Session, event: Recorded, before: LiveState) -> None:
            record = db.get(ConsultationRecord, in_room.record_id)
            record.ended_at = event.at
            db.add(record)

        body = ev.ConsultationEnded(
            participant_id=in_room.participant_id,
            room=room,
            to_space=to_space,
            record_id=in_room.record_id,
        )
        return body, ended

    return decide


def record_of(db: Session, state: LiveState, record_id: int) -> ConsultationRecord:
    record = db.get(ConsultationRecord, record_id)
    if record is None or record.meetup_id != state.meetup_id:
        raise Refused("相談記録が見つかりません。", status=404)
    return record


def save_record(form: Mapping[str, str], actor: Staff) -> Decide:
    record_id = forms.positive_id(form, "record_id", label="相談記録")
    complete = (form.get("complete") or "") == "1"
    content = forms.text(form, "content", label="相談内容", max_len=TEXT_MAX)
    answer = forms.text(
        form, "answer", label="相談に対する回答", max_len=TEXT_MAX, required=complete
    )
    topic = (form.get("topic") or "").strip()
    if topic and topic not in settings.CONSULTATION_TOPICS:
        raise Refused("主な相談内容の選択肢が正しくありません。")
    if complete and not topic:
        raise Refused("主な相談内容を選択してください。")
    age = forms.choice(form, "age_bracket", AgeBracket, label="年代")
    gender = Gender.parse(form.get("gender")) if form.get("gender") else None
    if form.get("gender") and gender is None:
        raise Refused("性別の選択肢が正しくありません。")
    follow_up = forms.checkbox(form, "follow_up")
    consent = forms.checkbox(form, "helpline_consent")
    reason = forms.text(form, "amend_reason", label="修正の理由", max_len=AMEND_MAX, required=False)
    seen = (form.get("seen") or "").strip()  # the version the page showed (its last save)

    def decide(db: Session, state: LiveState) -> Body:
        record = record_of(db, state, record_id)
        if seen and seen != (record.updated_at or record.started_at).isoformat():
            raise Refused(
                "この相談記録は、画面を開いた後に別の画面で保存されています。"
                "画面を再読み込みして、いまの内容から修正してください。",
                status=409,
            )
        amending = record.complete
        if amending and not complete:
            raise Refused(
                "完成した相談記録は下書きに戻せません。「修正する」から修正してください。"
            )
        if amending and not reason:
            raise Refused("完成した相談記録を修正するには、修正の理由を入力してください。")
        record.content, record.answer, record.topic = content, answer or None, topic or None
        record.age_bracket, record.gender = age, gender
        record.follow_up, record.helpline_consent, record.complete = follow_up, consent, complete
        record.updated_at, record.updated_by = utcnow(), actor.id
        policy = db.get(RecordSharing, record_id) or RecordSharing(record_id=record_id)
        policy.consent_required = settings.HELPLINE_CONSENT_REQUIRED
        if complete and policy.completed_at is None:
            policy.completed_at = record.updated_at
        db.add(policy)
        db.add(record)
        return ev.ConsultationRecordSaved(
            record_id=record_id,
            participant_id=record.participant_id,
            complete=complete,
            topic=topic,
            amend_reason=reason if amending else "",
        )

    return decide


def end_open_consultation(db: Session, event: Recorded, before: LiveState) -> None:
    """A participant who leaves the meetup mid-consultation ends it; the record stays a draft."""
    room = before.room_of(event.body.participant_id)
    if room is not None:
        record = db.get(ConsultationRecord, before.rooms[room].record_id)
        record.ended_at = event.at
        db.add(record)


def end_open_consultations(db: Session, event: Recorded, before: LiveState) -> None:
    """Consultations still running at the close end with it; their records stay drafts
    (listed first on /consultations until a counsellor completes them)."""
    records = db.exec(
        select(ConsultationRecord).where(
            ConsultationRecord.meetup_id == event.meetup_id,
            col(ConsultationRecord.ended_at).is_(None),
        )
    )
    planned = event.body.scheduled_at
    ended = min(datetime.fromisoformat(planned), event.at) if planned else event.at
    for record in records:
        record.ended_at = ended
        db.add(record)
