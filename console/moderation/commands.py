"""The moderation ladder (spec 6(1)⑥エ,オ): flag → warning (事前通告) → forced exit → block.

Humane for fragile participants (a warning is a record, never an automatic strike; a
cool-down in the rest space can be suggested) and airtight for the ward (a forced exit
needs a prior warning in the same session, or the marked "immediate" path with a reason;
every forced exit is reported; a block outlives the session).
"""

from collections.abc import Mapping

from sqlmodel import Session, col, select

from console.core import forms
from console.core.errors import Refused
from console.live.commands import Command
from console.live.eventlog import Decide
from console.live.events import Body, Recorded
from console.moderation import events as ev
from console.moderation import incidents, wardreports
from console.moderation.models import Block
from console.moderation.vocab import FlagReason
from console.security.models import Staff
from console.security.permissions import Action
from console.session import events as sev
from console.session.models import Participant
from console.session.state import LiveState
from console.session.vocab import MeetupStatus, Space

NOTE_MAX = 300
WORDING_MAX = 500
REASON_MAX = 500


def _participant(db: Session, participant_id: int) -> Participant:
    participant = db.get(Participant, participant_id)
    if participant is None:
        raise Refused("参加者が見つかりません。")
    return participant


def _present(db: Session, state: LiveState, participant_id: int) -> Participant:
    participant = _participant(db, participant_id)
    if participant_id not in state.present:
        raise Refused(f"{participant.label}さんは現在入室していません。")
    return participant


def current_block(db: Session, participant_id: int) -> Block | None:
    return db.exec(
        select(Block).where(Block.participant_id == participant_id, col(Block.lifted_at).is_(None))
    ).first()


def flag(form: Mapping[str, str], actor: Staff) -> Decide:
    reason = forms.choice(form, "reason", FlagReason, label="通報の理由")
    space = forms.choice(form, "space", Space, label="スペース")
    note = forms.text(form, "note", label="メモ", max_len=NOTE_MAX, required=False)
    raw_id = (form.get("participant_id") or "").strip()
    participant_id = forms.positive_id(form, "participant_id", label="参加者") if raw_id else None
    description = (
        ""
        if participant_id
        else forms.one_line(
            form, "description", label="参加者(特定できない場合はアバターの特徴)", max_len=100
        )
    )

    def decide(db: Session, state: LiveState) -> Body:
        if actor.id not in state.on_duty:
            raise Refused("通報は勤務中の職員が行えます。先に「勤務開始」を押してください。")
        if participant_id is not None:
            _present(db, state, participant_id)
        return ev.FlagRaised(
            participant_id=participant_id,
            description=description,
            space=space,
            reason=reason,
            note=note,
        )

    return decide


def dismiss_flag(form: Mapping[str, str], actor: Staff) -> Decide:
    flag_seq = forms.positive_id(form, "flag_seq", label="通報")
    reason = forms.one_line(form, "reason", label="対応不要とする理由", max_len=REASON_MAX)

    def decide(db: Session, state: LiveState) -> Body:
        if flag_seq not in state.open_flags:
            raise Refused("この通報はすでに対応済みです。")
        return ev.FlagDismissed(flag_seq=flag_seq, reason=reason)

    return decide


def warn(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    rule = forms.choice(form, "rule", FlagReason, label="根拠とする規約")
    wording = forms.text(form, "wording", label="伝えた内容", max_len=WORDING_MAX)
    cool_down = forms.checkbox(form, "cool_down")
    raw_flag = (form.get("flag_seq") or "").strip()
    flag_seq = forms.positive_id(form, "flag_seq", label="通報") if raw_flag else 0

    def decide(db: Session, state: LiveState) -> Body:
        _present(db, state, participant_id)
        if flag_seq and flag_seq not in state.open_flags:
            raise Refused("この通報はすでに対応済みです。")
        if flag_seq and state.open_flags[flag_seq].participant_id != participant_id:
            raise Refused("この通報は別の参加者についてのものです。")
        return ev.WarningGiven(
            participant_id=participant_id,
            rule=rule,
            wording=wording,
            flag_seq=flag_seq,
            cool_down=cool_down,
        )

    return decide


def force_exit(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    immediate = forms.checkbox(form, "immediate")
    reason = forms.text(form, "reason", label="強制退室の理由", max_len=REASON_MAX)
    for_ward = wardreports.text_for_ward(form)

    def decide(db: Session, state: LiveState):
        participant = _present(db, state, participant_id)
        if not immediate and not state.warnings.get(participant_id):
            raise Refused(
                f"{participant.label}さんにはこの開催回でまだ事前通告をしていません。"
                "先に事前通告を行ってください(危険がある場合は「即時」を選び、理由を入力してください)。"
            )
        body = ev.ForcedExit(
            participant_id=participant_id,
            space=state.present[participant_id].space,
            reason=reason,
            immediate=immediate,
            for_ward=for_ward,
        )

        return body, wardreports.forced_exit

    return decide


def block(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    reason = forms.text(form, "reason", label="ブロックの理由", max_len=REASON_MAX)

    def decide(db: Session, state: LiveState):
        participant = _participant(db, participant_id)
        if current_block(db, participant_id):
            raise Refused(f"{participant.label}さんはすでにブロックされています。")
        if participant_id in state.present:
            raise Refused(f"{participant.label}さんは在室中です。先に強制退室を行ってください。")

        def record(db: Session, event: Recorded, before: LiveState) -> None:
            db.add(
                Block(
                    participant_id=participant_id,
                    meetup_id=event.meetup_id,
                    blocked_at=event.at,
                    blocked_by=actor.id,
                    reason=reason,
                )
            )

        return ev.ParticipantBlocked(participant_id=participant_id, reason=reason), record

    return decide


def unblock(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    reason = forms.text(form, "reason", label="ブロック解除の理由", max_len=REASON_MAX)

    def decide(db: Session, state: LiveState):
        participant = _participant(db, participant_id)
        current = current_block(db, participant_id)
        if current is None:
            raise Refused(f"{participant.label}さんはブロックされていません。")

        def record(db: Session, event: Recorded, before: LiveState) -> None:
            current.lifted_at, current.lifted_by, current.lift_reason = event.at, actor.id, reason
            db.add(current)

        return ev.ParticipantUnblocked(participant_id=participant_id, reason=reason), record

    return decide


def moderation_note(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    text = forms.text(form, "text", label="メモ", max_len=1000)

    def decide(db: Session, state: LiveState) -> Body:
        _participant(db, participant_id)
        return ev.ModerationNoteAdded(participant_id=participant_id, text=text)

    return decide


def refuse_blocked_entry(db: Session, state: LiveState, entry: sev.ParticipantEntered):
    """A guard on entries: a blocked participant's attempt is recorded instead, and shown live
    to the manager."""
    if state.status == MeetupStatus.CLOSED:
        return None
    if current_block(db, entry.participant_id) is None:
        return None
    return ev.EntryRefused(participant_id=entry.participant_id, space=entry.space)


ENTRY_REFUSED = "ブロック中の参加者のため入室できません。管理者の画面に表示しました。"

COMMANDS: dict[str, Command] = {
    "flag": Command(
        Action.RAISE_FLAG, flag, "通報しました。管理者とファシリテーターに表示されます。"
    ),
    "dismiss_flag": Command(Action.DISMISS_FLAG, dismiss_flag, "通報を対応不要として閉じました。"),
    "warn": Command(Action.WARN, warn, "事前通告を記録しました。"),
    "force_exit": Command(
        Action.FORCE_EXIT,
        force_exit,
        "強制退室を記録しました。区への報告を作成しました。",
    ),
    "block": Command(Action.BLOCK, block, "ブロックしました。以後の開催回に入室できません。"),
    "unblock": Command(Action.UNBLOCK, unblock, "ブロックを解除しました。"),
    "moderation_note": Command(Action.MODERATION_NOTE, moderation_note, "対応メモを記録しました。"),
    "incident": Command(
        Action.RECORD_INCIDENT,
        incidents.record_incident,
        "事故・トラブルを記録しました。区への報告を作成しました。",
    ),
}
