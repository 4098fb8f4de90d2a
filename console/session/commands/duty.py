"""Staff going on duty, changing post, going off duty. Each staff member records their own."""

from collections.abc import Mapping

from sqlmodel import Session

from console.core import forms
from console.core.errors import Refused
from console.live.eventlog import Decide
from console.live.models import Meetup
from console.security.models import Staff
from console.session import events as ev
from console.session.state import LiveState
from console.session.vocab import MeetupKind, MeetupStatus, Post, posts_of


def _not_closed(db: Session, state: LiveState, post: Post | None = None) -> None:
    if state.status == MeetupStatus.CLOSED:
        raise Refused("この開催回は終了しているため、勤務を記録できません。")
    kind = db.get(Meetup, state.meetup_id).kind
    if post is not None and post not in posts_of(kind):
        names = "・".join(p.label for p in posts_of(kind))
        raise Refused(
            f"{MeetupKind(kind).label}に「{post.label}」の配置はありません({names}から選んでください)。"
        )


def on_duty(form: Mapping[str, str], actor: Staff) -> Decide:
    post = forms.choice(form, "post", Post, label="配置")

    def decide(db: Session, state: LiveState) -> ev.Body:
        _not_closed(db, state, post)
        if actor.id in state.on_duty:
            where = Post(state.on_duty[actor.id].post).label
            raise Refused(
                f"すでに勤務中です({where})。配置を変えるときは「配置変更」を使ってください。"
            )
        return ev.StaffOnDuty(staff_id=actor.id, post=post)

    return decide


def change_post(form: Mapping[str, str], actor: Staff) -> Decide:
    post = forms.choice(form, "post", Post, label="配置")

    def decide(db: Session, state: LiveState) -> ev.Body:
        _not_closed(db, state, post)
        duty = state.on_duty.get(actor.id)
        if duty is None:
            raise Refused("勤務中ではありません。先に「勤務開始」を押してください。")
        if duty.post == post:
            raise Refused(f"すでに{post.label}に配置されています。")
        return ev.StaffPostChanged(staff_id=actor.id, post=post)

    return decide


def off_duty(form: Mapping[str, str], actor: Staff) -> Decide:
    def decide(db: Session, state: LiveState) -> ev.Body:
        _not_closed(db, state)
        if actor.id not in state.on_duty:
            raise Refused("勤務中ではありません。")
        return ev.StaffOffDuty(staff_id=actor.id)

    return decide
