"""Sharing a complete record with the ward's hikikomori helpline (spec 6(1)①エ, 12(5)(ウ)):
by email after a second staff member confirmed the recipient, by phone, or marked 「共有不要」
with a reason. What is sent is the minimal summary unless more was ticked."""

import re
from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from console import settings
from console.consultations import events as ev
from console.consultations.commands import AMEND_MAX, TEXT_MAX, record_of
from console.consultations.models import ConsultationRecord, Handoff, RecordSharing
from console.consultations.queries import consent_required, shared
from console.core import forms
from console.core.errors import Refused
from console.core.templating import jst_date
from console.live.eventlog import Decide
from console.live.events import Body, Recorded
from console.security.models import Staff
from console.session.models import Participant
from console.session.state import LiveState
from console.session.vocab import AgeBracket, Gender
from console.store import outbox
from console.store.columns import utcnow

EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
HANDOFF_SUBJECT = "【港区ひきこもり居場所支援】相談内容の共有(受付番号 H-{id})"


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
    record = record_of(db, state, record_id)
    if not record.complete:
        raise Refused("相談記録を完成させてから共有してください。")
    if consent_required(db, record_id) and not record.helpline_consent:
        raise Refused("参加者が窓口への共有に同意していないため、共有できません。")
    return record


def waive_sharing(form: Mapping[str, str], actor: Staff) -> Decide:
    record_id = forms.positive_id(form, "record_id", label="相談記録")
    reason = forms.text(form, "reason", label="共有不要の理由", max_len=AMEND_MAX)

    def decide(db: Session, state: LiveState) -> Body:
        record = record_of(db, state, record_id)
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
    if called_at > utcnow():
        raise Refused("電話した日時が未来になっています。実際に電話した日時を入力してください。")

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
