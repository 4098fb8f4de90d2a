"""What a verified delivery becomes in the meetup's log, decided against the live state.

Per avatar, events apply in platform-timestamp order: one older than the avatar's last
applied event (or than a staff correction made since) is `stale`; one whose predecessor has
not arrived (a move by an avatar not yet in the world) is `out_of_order`, which the platform
retries. Neither appends anything, so nothing is ever folded out of order.
"""

from sqlmodel import Session

from console.bridge import events as ev
from console.bridge import links
from console.bridge.contract import Delivery, Kind, Rejected
from console.bridge.state import Avatar
from console.live.eventlog import Decide
from console.live.events import Body
from console.live.registry import current
from console.moderation.vocab import FlagReason
from console.session import events as sev
from console.session.commands.attendance import is_late
from console.session.state import LiveState
from console.session.vocab import MeetupStatus, Space

REPORT_NOTE = "メタバース内の通報ボタンから"


def decide_delivery(delivery: Delivery) -> Decide:
    def decide(db: Session, state: LiveState):
        if state.status == MeetupStatus.CLOSED:
            raise Rejected("session_closed")
        if not state.is_open:
            raise Rejected("session_not_open")
        avatar = state.avatars.get(delivery.avatar_id)
        if avatar is not None:
            _in_order(state, avatar, delivery)
        if delivery.kind == Kind.REPORTED:
            return _report(db, state, avatar, delivery)
        if delivery.kind == Kind.ENTERED_WORLD:
            return _entered_world(db, state, avatar, delivery)
        if avatar is None:
            raise Rejected("out_of_order")
        if not avatar.in_world:
            raise Rejected("out_of_order" if delivery.kind != Kind.LEFT_WORLD else "stale")
        if delivery.kind == Kind.LEFT_SPACE:
            if avatar.space != delivery.space:
                raise Rejected("not_in_space")
            return _tracked(avatar.participant_id, None, True, delivery)
        if delivery.kind == Kind.LEFT_WORLD:
            pid = avatar.participant_id
            if pid is not None and pid in state.present:
                return ev.PlatformLeft(participant_id=pid, **_origin(delivery))
            return _tracked(pid, None, False, delivery)
        return _place(db, state, avatar.participant_id, delivery)

    return decide


def _in_order(state: LiveState, avatar: Avatar, delivery: Delivery) -> None:
    if delivery.at < avatar.last_at:
        raise Rejected("stale")
    presence = state.present.get(avatar.participant_id) if avatar.participant_id else None
    corrected = presence is not None and presence.space_since > avatar.applied_at
    if corrected and delivery.at < presence.space_since:
        raise Rejected("stale")  # staff moved the participant after the platform's event


def _origin(delivery: Delivery) -> dict:
    return {"avatar_id": delivery.avatar_id, "platform_at": delivery.at.isoformat()}


def _tracked(pid: int | None, space: str | None, inside: bool, delivery: Delivery) -> Body:
    return ev.AvatarTracked(
        avatar_id=delivery.avatar_id,
        participant_id=pid,
        space=space,
        in_world=inside,
        platform_at=delivery.at.isoformat(),
    )


def _entered_world(db: Session, state: LiveState, avatar: Avatar | None, delivery: Delivery):
    if avatar is not None and avatar.in_world:
        raise Rejected("stale")  # already in: a second entry is older news
    pid = avatar.participant_id if avatar else None
    pid = pid or links.linked_participant(db, delivery.avatar_id)
    token = (
        links.unused_token(db, delivery.entry_token, state.meetup_id)
        if delivery.entry_token
        else None
    )
    if pid is None and token is not None:
        pid = token.participant_id

        def redeem(db: Session, event, before) -> None:
            token.used_at = event.at
            db.add(token)
            links.link(db, avatar_id=delivery.avatar_id, participant_id=pid, via="token")

        decided = _place(db, state, pid, delivery)
        return decided if isinstance(decided, tuple) else (decided, redeem)
    return _place(db, state, pid, delivery)


def _place(db: Session, state: LiveState, pid: int | None, delivery: Delivery):
    """The avatar is in `delivery.space` (the exchange space when an entry names none)."""
    space = delivery.space or Space.EXCHANGE
    if pid is None:
        return _tracked(None, space, True, delivery)
    presence = state.present.get(pid)
    if presence is not None:
        if presence.space == space or space == Space.CONSULTATION or state.room_of(pid):
            return _tracked(pid, space, True, delivery)  # consultations move by the queue
        return ev.PlatformMoved(
            participant_id=pid, from_space=presence.space, to_space=space, **_origin(delivery)
        )
    if space == Space.CONSULTATION:
        space = Space.EXCHANGE
    entry = sev.ParticipantEntered(participant_id=pid, space=space, late=False)
    instead = current().screen(db, state, entry)
    if instead is not None:
        return instead  # blocked or not admitted: the refusal flow, shown to the manager
    late = is_late(db, state, pid)
    return ev.PlatformEntered(participant_id=pid, space=space, late=late, **_origin(delivery))


def _report(db: Session, state: LiveState, avatar: Avatar | None, delivery: Delivery) -> Body:
    pid = avatar.participant_id if avatar else links.linked_participant(db, delivery.avatar_id)
    return ev.PlatformReported(
        participant_id=pid,
        description="" if pid else f"アバター {delivery.avatar_id}",
        space=delivery.space,
        reason=FlagReason(delivery.reason),
        note=REPORT_NOTE,
        **_origin(delivery),
    )
