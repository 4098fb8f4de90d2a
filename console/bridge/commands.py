"""Staff confirming who an unconfirmed avatar is (「未確認のアバター」 → this is P012)."""

from collections.abc import Mapping

from sqlmodel import Session

from console.bridge import events as ev
from console.bridge import links
from console.bridge.contract import AVATAR_ID
from console.core import forms
from console.core.errors import Refused
from console.live.commands import Command
from console.live.eventlog import Decide
from console.live.registry import current
from console.security.models import Staff
from console.security.permissions import Action
from console.session import events as sev
from console.session.commands.attendance import is_late
from console.session.models import code_lookup
from console.session.state import LiveState
from console.session.vocab import Space


def link_avatar(form: Mapping[str, str], actor: Staff) -> Decide:
    avatar_id = forms.one_line(form, "avatar_id", label="アバター", max_len=64)
    if not AVATAR_ID.match(avatar_id):
        raise Refused("アバターの指定が正しくありません。")
    code = forms.one_line(form, "participant_code", label="参加者ID", max_len=32).split()[0]

    def decide(db: Session, state: LiveState):
        avatar = state.avatars.get(avatar_id)
        if avatar is None or not avatar.in_world or avatar.participant_id is not None:
            raise Refused("このアバターは未確認の一覧にありません(退室したか、確認済みです)。")
        participant = db.exec(code_lookup(code)).first()
        if participant is None:
            raise Refused(f"参加者ID「{code}」の参加者が見つかりません。")
        pid = participant.id

        def remember(db: Session, event, before) -> None:
            links.link(db, avatar_id=avatar_id, participant_id=pid, via="staff")

        if any(a.participant_id == pid for a in state.avatars.values() if a.in_world):
            raise Refused(f"{participant.label}さんには別のアバターが確認済みです。")
        if pid in state.present:  # entered already (at the gate, or typed by staff)
            body = ev.AvatarTracked(
                avatar_id=avatar_id,
                participant_id=pid,
                space=avatar.space,
                in_world=True,
                platform_at=avatar.last_at.isoformat(),
            )
            return body, remember
        space = (
            avatar.space
            if avatar.space in (Space.EXCHANGE, Space.REST, Space.INFO)
            else Space.EXCHANGE
        )
        entry = sev.ParticipantEntered(participant_id=pid, space=space, late=False)
        instead = current().screen(db, state, entry)
        if instead is not None:
            return instead  # blocked or not admitted: refused, and the manager sees it
        late = is_late(db, state, pid)
        linked = ev.AvatarLinked(participant_id=pid, space=space, late=late, avatar_id=avatar_id)
        return linked, remember

    return decide


COMMANDS = {
    "link_avatar": Command(Action.LINK_AVATAR, link_avatar, "アバターを参加者として確認しました。"),
}
