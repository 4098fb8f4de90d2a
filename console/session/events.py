"""A meetup's own events: its lifecycle, staff on duty, participants' presence, staff notes.

An event body states a fact in the past tense and holds identifiers, never names."""

from dataclasses import dataclass

from console.live.events import Body


@dataclass(frozen=True)
class DoorsOpened(Body):
    """Entry opened (入室受付開始, normally 13:45). Fields: reason (when opened by hand before
    its time), scheduled_at (ISO time it was planned for, when the schedule opened it)."""

    type = "doors_opened"
    reason: str = ""
    scheduled_at: str = ""  # set by the schedule: the transition's true (planned) time


@dataclass(frozen=True)
class MeetupStarted(Body):
    """The session began (normally 14:00); entries after this are late joiners. Fields: reason,
    scheduled_at."""

    type = "meetup_started"
    reason: str = ""
    scheduled_at: str = ""


@dataclass(frozen=True)
class MeetupClosed(Body):
    """The session closed (normally 17:00). Everyone still present leaves and every staff member
    goes off duty at this event's time; consultations still open are flagged for their
    records. Fields: reason, scheduled_at."""

    type = "meetup_closed"
    reason: str = ""
    scheduled_at: str = ""


@dataclass(frozen=True)
class WrapUpNoticed(Body):
    """The wrap-up notice (normally 16:45): the session closes soon. Fields: scheduled_at."""

    type = "wrap_up_noticed"
    scheduled_at: str = ""


@dataclass(frozen=True)
class StaffOnDuty(Body):
    """A staff member went on duty. Fields: staff_id, post (a `Post` value)."""

    type = "staff_on_duty"
    staff_id: int
    post: str


@dataclass(frozen=True)
class StaffPostChanged(Body):
    """A staff member on duty moved to another post. Fields: staff_id, post."""

    type = "staff_post_changed"
    staff_id: int
    post: str


@dataclass(frozen=True)
class StaffOffDuty(Body):
    """A staff member went off duty. Fields: staff_id."""

    type = "staff_off_duty"
    staff_id: int


@dataclass(frozen=True)
class ParticipantEntered(Body):
    """A participant entered the metaverse space. Fields: participant_id, space, late (entered
    after the session had started: 途中参加)."""

    type = "participant_entered"
    participant_id: int
    space: str
    late: bool


@dataclass(frozen=True)
class ParticipantMoved(Body):
    """A participant moved between spaces. Fields: participant_id, from_space, to_space."""

    type = "participant_moved"
    participant_id: int
    from_space: str
    to_space: str


@dataclass(frozen=True)
class ParticipantMarked(Body):
    """Staff marked a present participant. Fields: participant_id, mark (a `Mark` value: talking,
    listening only, needs attention, attention resolved)."""

    type = "participant_marked"
    participant_id: int
    mark: str


@dataclass(frozen=True)
class ParticipantLeft(Body):
    """A participant left the metaverse space. Fields: participant_id."""

    type = "participant_left"
    participant_id: int


@dataclass(frozen=True)
class StaffNotePosted(Body):
    """A note on the staff-only channel (spec 7(1)). Fields: text, for_report (to be carried
    into the post-session summary). Staff only: never shown to the ward role."""

    type = "staff_note_posted"
    text: str
    for_report: bool = False


EVENTS: tuple[type[Body], ...] = (
    DoorsOpened,
    MeetupStarted,
    MeetupClosed,
    WrapUpNoticed,
    StaffOnDuty,
    StaffPostChanged,
    StaffOffDuty,
    ParticipantEntered,
    ParticipantMoved,
    ParticipantMarked,
    ParticipantLeft,
    StaffNotePosted,
)
