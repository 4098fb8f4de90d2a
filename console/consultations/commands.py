"""Individual consultations (spec 6(1)①ウ,エ): queue, rooms, records, helpline handoffs.

Records and handoffs live in their own tables with content encrypted; the events that
record what happened to them carry ids and counts only.
"""

import re
from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from console import settings
from console.consultations import events as ev
from console.consultations.models import ConsultationRecord, Handoff, RecordSharing
from console.consultations.queries import consent_required, shared
from console.core import forms
from console.core.errors import Refused
from console.core.templating import jst_date
from console.live.commands import Command
from console.live.eventlog import Decide
from console.live.events import Body, Recorded
from console.live.models import Meetup
from console.security.models import Staff
from console.security.permissions import Action
from console.session.commands.attendance import check_space
from console.session.models import Participant
from console.session.state import LiveState
from console.session.vocab import AgeBracket, Gender, Space
from console.store import outbox
from console.store.columns import utcnow

TEXT_MAX = 4000
AMEND_MAX = 500
EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
HANDOFF_SUBJECT = "【港区ひきこもり居場所支援】相談内容の共有(受付番号 H-{id})"


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


def _record(db: Session, state: LiveState, record_id: int) -> ConsultationRecord:
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

    def decide(db: Session, state: LiveState) -> Body:
        record = _record(db, state, record_id)
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


def minimal_summary(
    record: ConsultationRecord,
    *,
    participant_code: str | None = None,
    include_content: bool = False,
    include_answer: bool = False,
) -> str:
    """What the helpline needs and nothing more; content and answer only when opted in."""
    lines = [
        f"受付番号: C-{record.id}",
        f"相談日: {jst_date(record.started_at)}",
        f"主な相談内容: {record.topic or '未記入'}",
        f"年代: {AgeBracket(record.age_bracket).label if record.age_bracket else '不明'}",
        f"性別: {Gender(record.gender).label if record.gender else '不明'}",
        f"継続支援: {'必要' if record.follow_up else '不要'}",
    ]
    if participant_code:
        lines.append(f"参加者ID: {participant_code}")
    if include_content and record.content:
        lines += ["", "相談内容:", record.content]
    if include_answer and record.answer:
        lines += ["", "回答:", record.answer]
    return "\n".join(lines)


def _shareable(db: Session, state: LiveState, record_id: int) -> ConsultationRecord:
    record = _record(db, state, record_id)
    if not record.complete:
        raise Refused("相談記録を完成させてから共有してください。")
    if consent_required(db, record_id) and not record.helpline_consent:
        raise Refused("参加者が窓口への共有に同意していないため、共有できません。")
    return record


def waive_sharing(form: Mapping[str, str], actor: Staff) -> Decide:
    record_id = forms.positive_id(form, "record_id", label="相談記録")
    reason = forms.text(form, "reason", label="共有不要の理由", max_len=AMEND_MAX)

    def decide(db: Session, state: LiveState) -> Body:
        record = _record(db, state, record_id)
        if not record.complete:
            raise Refused("相談記録を完成させてから「共有不要」にしてください。")
        policy = db.get(RecordSharing, record_id) or RecordSharing(record_id=record_id)
        if policy.waived_at is not None:
            raise Refused("この相談記録はすでに「共有不要」になっています。")
        if shared(db, record_id) is not None:
            raise Refused("この相談記録はすでに窓口へ共有済みです。")
        policy.waived_at, policy.waived_by, policy.waived_reason = utcnow(), actor.id, reason
        db.add(policy)
        return ev.ShareWaived(record_id=record_id)

    return decide


def prepare_handoff(form: Mapping[str, str], actor: Staff) -> Decide:
    record_id = forms.positive_id(form, "record_id", label="相談記録")
    to_addr = (form.get("to_addr") or "").strip()
    if not EMAIL.match(to_addr):
        raise Refused("宛先メールアドレスの形式が正しくありません。")
    options = {
        name: forms.checkbox(form, name)
        for name in ("include_code", "include_content", "include_answer")
    }

    def decide(db: Session, state: LiveState) -> Body:
        record = _shareable(db, state, record_id)
        waiting = db.exec(
            select(Handoff).where(
                Handoff.record_id == record_id,
                Handoff.method == "email",
                col(Handoff.confirmed_by).is_(None),
            )
        )
        for pending in waiting:
            if pending.to_addr.casefold() == to_addr.casefold():  # sealed: compared here
                raise Refused(
                    f"この宛先への共有(H-{pending.id})は作成済みで、別の職員の確認を待っています。"
                    "同じ内容を二重に送らないよう、新しくは作成できません。"
                )
        code = db.get(Participant, record.participant_id).code if options["include_code"] else None
        summary = minimal_summary(
            record,
            participant_code=code,
            include_content=options["include_content"],
            include_answer=options["include_answer"],
        )
        handoff = Handoff(
            record_id=record_id,
            method="email",
            prepared_by=actor.id,
            prepared_at=utcnow(),
            to_addr=to_addr,
            summary=summary,
        )
        db.add(handoff)
        db.flush()
        return ev.HandoffPrepared(handoff_id=handoff.id, record_id=record_id)

    return decide


def confirm_handoff(form: Mapping[str, str], actor: Staff) -> Decide:
    handoff_id = forms.positive_id(form, "handoff_id", label="共有")

    def decide(db: Session, state: LiveState):
        handoff = db.get(Handoff, handoff_id)
        if handoff is None or handoff.method != "email":
            raise Refused("共有が見つかりません。", status=404)
        _shareable(db, state, handoff.record_id)  # consent may have been withdrawn since
        if handoff.confirmed_by is not None:
            raise Refused("この共有はすでに確認済みです。")
        if handoff.prepared_by == actor.id:
            raise Refused(
                "作成した職員とは別の職員が宛先を確認してください(個人情報を含む通知は複数人で確認します)。"
            )

        def send(db: Session, event: Recorded, before: LiveState) -> None:
            handoff.confirmed_by, handoff.confirmed_at = actor.id, event.at
            db.add(handoff)
            outbox.enqueue(
                db,
                key=f"handoff:{handoff.id}",
                to_addr=handoff.to_addr,
                subject=HANDOFF_SUBJECT.format(id=handoff.id),
                body=handoff.summary,
            )

        return ev.HandoffConfirmed(handoff_id=handoff_id, record_id=handoff.record_id), send

    return decide


def phone_handoff(form: Mapping[str, str], actor: Staff) -> Decide:
    record_id = forms.positive_id(form, "record_id", label="相談記録")
    spoke_to = forms.one_line(form, "spoke_to", label="話した相手(窓口の相談員)", max_len=64)
    shared = forms.text(form, "shared", label="伝えた内容", max_len=TEXT_MAX)
    found = forms.local_datetime(form.get("called_at"))
    if found is None:
        raise Refused("電話した日時を正しく入力してください(例: 2026-12-12T15:30)。")
    called_at = datetime.combine(*found, tzinfo=settings.TZ)

    def decide(db: Session, state: LiveState) -> Body:
        _shareable(db, state, record_id)
        handoff = Handoff(
            record_id=record_id,
            method="phone",
            prepared_by=actor.id,
            prepared_at=utcnow(),
            summary=shared,
            spoke_to=spoke_to,
            called_at=called_at,
        )
        db.add(handoff)
        db.flush()
        return ev.PhoneHandoffRecorded(handoff_id=handoff.id, record_id=record_id)

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


COMMANDS: dict[str, Command] = {
    "consult_request": Command(
        Action.REQUEST_CONSULTATION,
        request,
        "相談希望を記録しました。順番待ちに追加しました。",
    ),
    "consult_cancel": Command(Action.REQUEST_CONSULTATION, cancel, "相談希望を取り消しました。"),
    "consult_take": Command(
        Action.TAKE_CONSULTATION,
        take,
        "相談を開始しました。相談記録(下書き)を作成しました。",
    ),
    "consult_end": Command(
        Action.TAKE_CONSULTATION,
        end,
        "相談を終了しました。相談記録を記入してください。",
    ),
    "record_save": Command(Action.WRITE_RECORD, save_record, "相談記録を保存しました。"),
    "handoff_prepare": Command(
        Action.HANDOFF,
        prepare_handoff,
        "共有内容を作成しました。別の職員が宛先を確認すると送信されます。",
    ),
    "handoff_confirm": Command(
        Action.HANDOFF, confirm_handoff, "宛先を確認しました。メールを送信します。"
    ),
    "handoff_phone": Command(Action.HANDOFF, phone_handoff, "電話での共有を記録しました。"),
    "share_waive": Command(Action.HANDOFF, waive_sharing, "「共有不要」として記録しました。"),
}
