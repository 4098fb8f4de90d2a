"""Staff commands of a family class's workshop: make a group, post a facilitator and members
to it, tick who has spoken (one tap per person), close it. Bad input changes nothing."""

from collections.abc import Mapping

from sqlmodel import Session

from console.core import forms
from console.core.errors import Refused
from console.live.commands import Command
from console.live.eventlog import Decide
from console.live.models import Meetup
from console.security.models import Staff
from console.security.permissions import Action
from console.security.roles import Role
from console.session.models import Participant
from console.session.state import Group, LiveState
from console.session.vocab import MeetupKind, MeetupStatus
from console.workshop import events as ev

GROUP_MAX = 20
UNHEARD_CHECKED = "unheard_checked"


def _family_class(db: Session, state: LiveState) -> None:
    meetup = db.get(Meetup, state.meetup_id)
    if meetup.kind != MeetupKind.FAMILY_CLASS:
        raise Refused("グループワークは家族教室でのみ使えます。")
    if state.status == MeetupStatus.CLOSED:
        raise Refused("この開催回は終了しているため、グループワークを記録できません。")


def _group(db: Session, state: LiveState, name: str) -> Group:
    _family_class(db, state)
    group = state.groups.get(name)
    if group is None:
        raise Refused(f"「{name}」というグループはありません。先にグループを作成してください。")
    if not group.open:
        raise Refused(f"「{name}」はすでに終了しています。")
    return group


def _name(form: Mapping[str, str]) -> str:
    return forms.one_line(form, "group", label="グループ名", max_len=GROUP_MAX)


def _person(db: Session, participant_id: int) -> str:
    participant = db.get(Participant, participant_id)
    if participant is None:
        raise Refused("参加者が見つかりません。")
    return participant.label


def open_group(form: Mapping[str, str], actor: Staff) -> Decide:
    name = _name(form)

    def decide(db: Session, state: LiveState) -> ev.Body:
        _family_class(db, state)
        if name in state.groups:
            raise Refused(f"「{name}」というグループはすでにあります。別の名前にしてください。")
        return ev.GroupOpened(group=name)

    return decide


def post_facilitator(form: Mapping[str, str], actor: Staff) -> Decide:
    name = _name(form)
    staff_id = forms.positive_id(form, "staff_id", label="ファシリテーター")

    def decide(db: Session, state: LiveState) -> ev.Body:
        group = _group(db, state, name)
        staff = db.get(Staff, staff_id)
        if staff is None or staff.role != Role.FACILITATOR:
            raise Refused("ファシリテーターの職員を選んでください。")
        if staff_id not in state.on_duty:
            raise Refused(
                f"{staff.display_name}さんは勤務中ではありません。先に勤務開始を記録してください。"
            )
        if group.facilitator == staff_id:
            raise Refused(f"{staff.display_name}さんはすでに「{name}」のファシリテーターです。")
        other = state.led_by(staff_id)
        if other is not None:
            raise Refused(
                f"{staff.display_name}さんはすでに「{other.name}」のファシリテーターです。"
                "1人が同時に2つのグループを担当することはできません。"
            )
        return ev.FacilitatorPosted(group=name, staff_id=staff_id)

    return decide


def post_member(form: Mapping[str, str], actor: Staff) -> Decide:
    name = _name(form)
    participant_id = forms.positive_id(form, "participant_id", label="参加者")

    def decide(db: Session, state: LiveState) -> ev.Body:
        group = _group(db, state, name)
        who = _person(db, participant_id)
        if participant_id not in state.present:
            raise Refused(f"{who}さんは現在入室していません。")
        if participant_id in group.members:
            raise Refused(f"{who}さんはすでに「{name}」にいます。")
        return ev.MemberPosted(group=name, participant_id=participant_id)

    return decide


def _leads(db: Session, actor: Staff, group: Group) -> None:
    if actor.role != Role.MANAGER and group.facilitator != actor.id:
        raise Refused(f"「{group.name}」の発言の記録は、そのグループのファシリテーターが行います。")


def _member(db: Session, group: Group, participant_id: int) -> str:
    who = _person(db, participant_id)
    if participant_id not in group.members:
        raise Refused(f"{who}さんは「{group.name}」のメンバーではありません。")
    return who


def _turn(*, spoken: bool):
    """The tracker's one tap: record that a member has spoken (`spoken`), or take it back."""

    def prepare(form: Mapping[str, str], actor: Staff) -> Decide:
        name = _name(form)
        participant_id = forms.positive_id(form, "participant_id", label="参加者")

        def decide(db: Session, state: LiveState) -> ev.Body:
            group = _group(db, state, name)
            _leads(db, actor, group)
            who = _member(db, group, participant_id)
            if spoken and participant_id in group.spoke:
                raise Refused(f"{who}さんの発言はすでに記録されています。")
            if not spoken and participant_id not in group.spoke:
                raise Refused(f"{who}さんの発言はまだ記録されていません。")
            kind = ev.TurnTaken if spoken else ev.TurnUndone
            return kind(group=name, participant_id=participant_id)

        return decide

    return prepare


take_turn = _turn(spoken=True)
undo_turn = _turn(spoken=False)


def close_group(form: Mapping[str, str], actor: Staff) -> Decide:
    name = _name(form)
    checked = forms.checkbox(form, UNHEARD_CHECKED)

    def decide(db: Session, state: LiveState) -> ev.Body:
        group = _group(db, state, name)
        _leads(db, actor, group)
        unheard = [p for p in group.unheard() if p in state.present]
        if unheard and not checked:
            names = "、".join(f"{_person(db, p)}さん" for p in unheard)
            raise Refused(
                f"「{name}」でまだ発言の機会がなかった方: {names}。全員に発言の機会を"
                "(仕様6(4)⑥ウ)。確認のうえ終了するときは「発言のない方を確認した」に"
                "チェックしてください。"
            )
        return ev.GroupClosed(group=name, unheard=len(unheard))

    return decide


COMMANDS: dict[str, Command] = {
    "group_open": Command(Action.MANAGE_WORKSHOP, open_group, "グループを作成しました。"),
    "group_facilitator": Command(
        Action.MANAGE_WORKSHOP, post_facilitator, "ファシリテーターを配置しました。"
    ),
    "group_member": Command(Action.MANAGE_WORKSHOP, post_member, "グループに配置しました。"),
    "turn": Command(Action.RECORD_TURN, take_turn, "発言を記録しました。"),
    "turn_undo": Command(Action.RECORD_TURN, undo_turn, "発言の記録を取り消しました。"),
    "group_close": Command(Action.MANAGE_WORKSHOP, close_group, "グループを終了しました。"),
}
