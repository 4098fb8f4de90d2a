"""The bridge's part of the live state: where each avatar of the meetup is, as last reported.

Platform presence events fold as their session (or moderation) kind does, and also move the
avatar; `applied_at` (the log's time of the avatar's last platform event) tells a later staff
correction apart from the platform's own position.
"""

from dataclasses import dataclass, fields, replace
from datetime import datetime

from console.bridge import events as ev
from console.live.events import Recorded
from console.moderation import events as mev
from console.moderation.state import apply_moderation
from console.session.state import LiveState, apply_session


@dataclass(frozen=True)
class Avatar:
    avatar_id: str
    participant_id: int | None
    space: str | None
    in_world: bool
    last_at: datetime  # platform time of the last event applied for this avatar
    applied_at: datetime  # log time of that event


def _tracked(state: LiveState, avatar: Avatar) -> LiveState:
    return replace(state, avatars={**state.avatars, avatar.avatar_id: avatar})


def apply_bridge(state: LiveState, event: Recorded) -> LiveState:
    body = event.body
    at = event.at
    match body:
        case ev.PlatformReported():
            flag = mev.FlagRaised(**{f.name: getattr(body, f.name) for f in fields(mev.FlagRaised)})
            after = apply_moderation(state, replace(event, body=flag))
            known = state.avatars.get(body.avatar_id)
            if known is None:
                return after
            return _tracked(after, replace(known, last_at=_platform(body.platform_at)))
        case ev.AvatarLinked(avatar_id=aid, participant_id=pid, space=space):
            after = apply_session(state, event)
            known = state.avatars[aid]
            return _tracked(after, replace(known, participant_id=pid, space=space, applied_at=at))
        case (
            ev.PlatformEntered(participant_id=pid, space=space)
            | ev.PlatformMoved(participant_id=pid, to_space=space)
        ):
            avatar = Avatar(body.avatar_id, pid, space, True, _platform(body.platform_at), at)
            return _tracked(apply_session(state, event), avatar)
        case ev.PlatformLeft(participant_id=pid):
            avatar = Avatar(body.avatar_id, pid, None, False, _platform(body.platform_at), at)
            return _tracked(apply_session(state, event), avatar)
        case ev.AvatarTracked(avatar_id=aid, participant_id=pid, space=space, in_world=inside):
            return _tracked(state, Avatar(aid, pid, space, inside, _platform(body.platform_at), at))
    raise TypeError(f"no bridge fold for {body.type}")


def _platform(at: str) -> datetime:
    return datetime.fromisoformat(at)


def unconfirmed(state: LiveState) -> list[Avatar]:
    """Avatars in the world that no participant is linked to yet, longest there first."""
    waiting = (a for a in state.avatars.values() if a.participant_id is None and a.in_world)
    return sorted(waiting, key=lambda a: (a.applied_at, a.avatar_id))


FOLDS = dict.fromkeys((kind.type for kind in ev.EVENTS), apply_bridge)
