"""What the platform told the console, as events.

Presence that changes attendance is recorded as the session's own event kinds, subclassed, so
the board, the reports and the other domains treat it as any entry, move or leave, while the
log still says it came from the platform (and from which avatar, at which platform time).
Presence that changes no attendance (an avatar nobody has confirmed yet, an avatar between
two spaces) is an `AvatarTracked`. Every body holds ids only: an avatar id is the platform's
pseudonym, never a name.
"""

from dataclasses import dataclass

from console.live.events import Body
from console.moderation import events as mev
from console.session import events as sev


@dataclass(frozen=True)
class PlatformEntered(sev.ParticipantEntered):
    """The platform saw a linked participant's avatar enter the world. Fields: as
    `ParticipantEntered`, plus avatar_id and platform_at (the platform's ISO timestamp)."""

    type = "platform_entered"
    avatar_id: str = ""
    platform_at: str = ""


@dataclass(frozen=True)
class PlatformMoved(sev.ParticipantMoved):
    """The platform saw a linked participant's avatar enter another space."""

    type = "platform_moved"
    avatar_id: str = ""
    platform_at: str = ""


@dataclass(frozen=True)
class PlatformLeft(sev.ParticipantLeft):
    """The platform saw a linked participant's avatar leave the world."""

    type = "platform_left"
    avatar_id: str = ""
    platform_at: str = ""


@dataclass(frozen=True)
class PlatformReported(mev.FlagRaised):
    """A user pressed the report button in the metaverse about an avatar (a flag like any
    other; the reported message itself is not kept)."""

    type = "platform_reported"
    avatar_id: str = ""
    platform_at: str = ""


@dataclass(frozen=True)
class AvatarLinked(sev.ParticipantEntered):
    """Staff confirmed who an unconfirmed avatar is (「この方は P012」): the participant
    enters where the avatar is. Fields: as `ParticipantEntered`, plus avatar_id."""

    type = "avatar_linked"
    avatar_id: str = ""


@dataclass(frozen=True)
class AvatarTracked(Body):
    """Presence that changes no attendance. Fields: avatar_id, participant_id (None: not yet
    confirmed), space (None: between spaces, or gone when in_world is false), in_world,
    platform_at."""

    type = "avatar_tracked"
    avatar_id: str
    participant_id: int | None
    space: str | None
    in_world: bool
    platform_at: str


PRESENCE = (PlatformEntered, PlatformMoved, PlatformLeft)
EVENTS: tuple[type[Body], ...] = (*PRESENCE, PlatformReported, AvatarLinked, AvatarTracked)
