"""Participants entering, moving between spaces, being marked, and leaving."""

from collections.abc import Mapping

from sqlmodel import Session

from console.core import forms
from console.core.errors import Refused
from console.live.eventlog import Decide
from console.live.models import Meetup
from console.live.registry import current
from console.security.models import Staff
from console.session import events as ev
from console.session.models import Participant, code_lookup
from console.session.state import LiveState
from console.session.vocab import Mark, MeetupKind, MeetupStatus, Space, spaces_of
from console.store.columns import utcnow


def _participant(db: Session, participant_id: int) -> Participant:
    participant = db.get(Participant, participant_id)
    if participant is None:
        raise Refused("参加者が見つかりません。")
    return participant


CONSULT_VIA_QUEUE = "個別相談室へは「相談希望を記録」から、相談員が担当して案内します。"


def _starts_at(db: Session, state: LiveState):
    return db.get(Meetup, state.meetup_id).starts_at


def check_space(db: Session, state: LiveState, space: Space) -> None:
    """Refused when this kind of meetup has no such space (a family class has no 交流スペース)."""
    kind = db.get(Meetup, state.meetup_id).kind
    if space not in spaces_of(kind):
        names = "・".join(s.label for s in spaces_of(kind))
        raise Refused(
            f"{MeetupKind(kind).label}に「{space.label}」はありません({names}から選んでください)。"
        )


def _present(db: Session, state: LiveState, participant_id: int):
    participant = _participant(db, participant_id)
    presence = state.present.get(participant_id)
    if presence is None:
        raise Refused(f"{participant.label}さんは現在入室していません。")
    return participant, presence


def is_late(db: Session, state: LiveState, participant_id: int) -> bool:
    """Late (途中参加): a first entry after the start, whether or not 開始 was pressed."""
    started = state.status == MeetupStatus.IN_SESSION or utcnow() >= _starts_at(db, state)
    return started and participant_id not in state.attended


def enter(form: Mapping[str, str], actor: Staff) -> Decide:
    code = forms.one_line(form, "participant_code", label="参加者ID", max_len=32).split()[0]
    space = forms.choice(form, "space", Space, label="スペース")

    def decide(db: Session, state: LiveState) -> ev.Body:
        participant = db.exec(code_lookup(code)).first()
        if participant is None:
            raise Refused(f"参加者ID「{code}」の参加者が見つかりません。")
        participant_id = participant.id
        if state.status == MeetupStatus.CLOSED:
            raise Refused("この開催回は終了しているため、入室を記録できません。")
        if not state.is_open:
            raise Refused("まだ入室受付が始まっていないため、入室を記録できません。")
        if space == Space.CONSULTATION:
            raise Refused(CONSULT_VIA_QUEUE)
        check_space(db, state, space)
        # Another domain may turn the entry away (moderation: a blocked participant).
        refusal = current().screen(
            db, state, ev.ParticipantEntered(participant_id=participant_id, space=space, late=False)
        )
        if refusal is not None:
            return refusal
        if participant_id in state.present:
            where = Space(state.present[participant_id].space).label
            raise Refused(f"{participant.label}さんはすでに{where}にいます。")
        late = is_late(db, state, participant_id)
        return ev.ParticipantEntered(participant_id=participant_id, space=space, late=late)

    return decide


def move(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    space = forms.choice(form, "space", Space, label="移動先のスペース")

    def decide(db: Session, state: LiveState) -> ev.Body:
        participant, presence = _present(db, state, participant_id)
        if space == Space.CONSULTATION:
            raise Refused(CONSULT_VIA_QUEUE)
        check_space(db, state, space)
        if state.room_of(participant_id):
            raise Refused(
                f"{participant.label}さんは相談中です。相談室の「相談を終了」を使ってください。"
            )
        if presence.space == space:
            raise Refused(f"{participant.label}さんはすでに{space.label}にいます。")
        return ev.ParticipantMoved(
            participant_id=participant_id, from_space=presence.space, to_space=space
        )

    return decide


def mark(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")
    mark = forms.choice(form, "mark", Mark, label="状態")

    def decide(db: Session, state: LiveState) -> ev.Body:
        participant, presence = _present(db, state, participant_id)
        name = participant.display_name
        if mark == Mark.ATTENTION and presence.attention:
            raise Refused(f"「{name}」さんはすでに要配慮になっています。")
        if mark == Mark.ATTENTION_RESOLVED and not presence.attention:
            raise Refused(f"「{name}」さんは要配慮になっていません。")
        if mark in (Mark.TALKING, Mark.LISTENING) and presence.mode == mark:
            raise Refused(f"「{name}」さんはすでに「{mark.label}」になっています。")
        return ev.ParticipantMarked(participant_id=participant_id, mark=mark)

    return decide


def leave(form: Mapping[str, str], actor: Staff) -> Decide:
    participant_id = forms.positive_id(form, "participant_id", label="参加者")

    def decide(db: Session, state: LiveState) -> ev.Body:
        _present(db, state, participant_id)
        return ev.ParticipantLeft(participant_id=participant_id)

    return decide
