"""A family class's workshop (spec 6(4)③⑥): named groups made during the session, a
facilitator and family members posted to each, and who has had a turn to speak.

An event body holds identifiers and the group's name (staff choose it: 「Aグループ」), never a
participant's name."""

from dataclasses import dataclass

from console.live.events import Body


@dataclass(frozen=True)
class GroupOpened(Body):
    """A workshop group was made. Fields: group (its name, unique in the session)."""

    type = "workshop_group_opened"
    group: str


@dataclass(frozen=True)
class FacilitatorPosted(Body):
    """A facilitator on duty was posted to lead a group (replacing the one before, if any).
    Fields: group, staff_id."""

    type = "workshop_facilitator_posted"
    group: str
    staff_id: int


@dataclass(frozen=True)
class MemberPosted(Body):
    """A participant present was posted to a group (leaving any other group). Fields: group,
    participant_id."""

    type = "workshop_member_posted"
    group: str
    participant_id: int


@dataclass(frozen=True)
class TurnTaken(Body):
    """The group's facilitator ticked that a member has spoken (spec 6(4)⑥ウ: everyone is
    given a chance to speak). Fields: group, participant_id."""

    type = "workshop_turn_taken"
    group: str
    participant_id: int


@dataclass(frozen=True)
class TurnUndone(Body):
    """A tick given by mistake was taken back. Fields: group, participant_id."""

    type = "workshop_turn_undone"
    group: str
    participant_id: int


@dataclass(frozen=True)
class GroupClosed(Body):
    """The group finished. Fields: group, unheard (members who had not spoken when it closed;
    the facilitator saw them and closed it anyway)."""

    type = "workshop_group_closed"
    group: str
    unheard: int = 0


EVENTS: tuple[type[Body], ...] = (
    GroupOpened,
    FacilitatorPosted,
    MemberPosted,
    TurnTaken,
    TurnUndone,
    GroupClosed,
)
