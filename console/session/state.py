"""A meetup's live state, and the fold steps of the session's own events.

`LiveState` holds every domain's part of the board (moderation's open flags, consultations'
queue and rooms); each domain folds its own event kinds into it (`console.live.fold` runs the
steps). Steps are pure: they return a new value and never mutate the state they are given.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from console.live.events import Recorded
from console.session import events as ev
from console.session.vocab import Mark, MeetupStatus


@dataclass(frozen=True)
class Presence:
    participant_id: int
    space: str
    entered_at: datetime
    late: bool
    space_since: datetime
    mode: str | None = None  # Mark.TALKING or Mark.LISTENING
    attention: bool = False


@dataclass(frozen=True)
class Duty:
    staff_id: int
    post: str
    since: datetime


@dataclass(frozen=True)
class Flag:
    seq: int
    at: datetime
    actor_id: int | None
    participant_id: int | None
    description: str
    space: str
    reason: str
    note: str


@dataclass(frozen=True)
class Waiting:
    seq: int
    participant_id: int
    since: datetime


@dataclass(frozen=True)
class InRoom:
    room: int
    participant_id: int
    counsellor_id: int
    since: datetime
    record_id: int


@dataclass(frozen=True)
class Group:
    """A family class's workshop group (folded by `console.workshop`)."""

    name: str
    facilitator: int | None = None
    members: tuple[int, ...] = ()  # participant ids, in the order they were posted
    spoke: frozenset[int] = frozenset()
    open: bool = True

    def unheard(self) -> list[int]:
        """Members who have not had a turn to speak yet, in the order they were posted."""
        return [p for p in self.members if p not in self.spoke]


@dataclass(frozen=True)
class LiveState:
    meetup_id: int
    seq: int = 0
    status: str = MeetupStatus.SCHEDULED
    present: dict[int, Presence] = field(default_factory=dict)
    on_duty: dict[int, Duty] = field(default_factory=dict)
    attended: frozenset[int] = frozenset()
    late_joiners: frozenset[int] = frozenset()
    peak: int = 0
    notes: int = 0
    open_flags: dict[int, Flag] = field(default_factory=dict)
    warnings: dict[int, tuple[int, ...]] = field(default_factory=dict)  # pid -> warning seqs
    forced_exits: tuple[tuple[int, bool], ...] = ()  # (participant id, immediate), in order
    refused_entries: tuple[tuple[int, datetime], ...] = ()  # blocked participants turned away
    # Turned away at the entry gate: (participant id or None, reason code, time).
    gate_refusals: tuple[tuple[int | None, str, datetime], ...] = ()
    blocks: int = 0
    incidents: tuple[tuple[int, str, datetime], ...] = ()  # (seq, kind, time)
    queue: dict[int, Waiting] = field(default_factory=dict)  # request seq -> waiting
    rooms: dict[int, InRoom] = field(default_factory=dict)  # room number -> consultation
    consultations: int = 0
    handoffs: int = 0
    wrap_up: bool = False
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    # Every change of who is on duty where: (time, ((staff id, post), ...)) — for compliance.
    duty_history: tuple[tuple[datetime, tuple[tuple[int, str], ...]], ...] = ()
    # The metaverse platform's avatars in this meetup, by avatar id (console.bridge.state).
    avatars: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)  # a family class's workshop groups

    def open_groups(self) -> list[Group]:
        return [g for g in self.groups.values() if g.open]

    def group_of(self, participant_id: int) -> Group | None:
        return next((g for g in self.open_groups() if participant_id in g.members), None)

    def led_by(self, staff_id: int) -> Group | None:
        return next((g for g in self.open_groups() if g.facilitator == staff_id), None)

    def waiting(self) -> list[Waiting]:
        return sorted(self.queue.values(), key=lambda w: w.seq)

    def room_of(self, participant_id: int) -> int | None:
        return next(
            (r.room for r in self.rooms.values() if r.participant_id == participant_id), None
        )

    @property
    def is_open(self) -> bool:
        """Participants may be present: doors open or in session."""
        return self.status in (MeetupStatus.DOORS_OPEN, MeetupStatus.IN_SESSION)

    def in_space(self, space: str) -> list[Presence]:
        return sorted(
            (p for p in self.present.values() if p.space == space),
            key=lambda p: (p.space_since, p.participant_id),
        )

    def posted_at(self, post: str) -> list[Duty]:
        return sorted(
            (d for d in self.on_duty.values() if d.post == post),
            key=lambda d: (d.since, d.staff_id),
        )


def with_present(state: LiveState, presence: Presence) -> dict[int, Presence]:
    return {**state.present, presence.participant_id: presence}


def without(mapping: dict, key: int) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


def apply_session(state: LiveState, event: Recorded) -> LiveState:
    body = event.body
    match body:
        case ev.DoorsOpened():
            return replace(state, status=MeetupStatus.DOORS_OPEN, opened_at=effective_at(event))
        case ev.MeetupStarted():
            opened = state.opened_at or effective_at(event)
            return replace(state, status=MeetupStatus.IN_SESSION, opened_at=opened)
        case ev.WrapUpNoticed():
            return replace(state, wrap_up=True)
        case ev.MeetupClosed():
            return _with_duty(
                replace(
                    state, status=MeetupStatus.CLOSED, present={}, closed_at=effective_at(event)
                ),
                {},
                event,
            )
        case ev.StaffOnDuty(staff_id=sid, post=post) | ev.StaffPostChanged(staff_id=sid, post=post):
            duty = Duty(staff_id=sid, post=post, since=event.at)
            return _with_duty(state, {**state.on_duty, sid: duty}, event)
        case ev.StaffOffDuty(staff_id=sid):
            return _with_duty(state, without(state.on_duty, sid), event)
        case ev.ParticipantEntered(participant_id=pid, space=space, late=late):
            presence = Presence(
                participant_id=pid,
                space=space,
                entered_at=event.at,
                late=late,
                space_since=event.at,
            )
            present = with_present(state, presence)
            return replace(
                state,
                present=present,
                attended=state.attended | {pid},
                late_joiners=state.late_joiners | {pid} if late else state.late_joiners,
                peak=max(state.peak, len(present)),
            )
        case ev.ParticipantMoved(participant_id=pid, to_space=space):
            moved = replace(state.present[pid], space=space, space_since=event.at)
            return replace(state, present=with_present(state, moved))
        case ev.ParticipantMarked(participant_id=pid, mark=mark):
            return replace(state, present=with_present(state, _marked(state.present[pid], mark)))
        case ev.ParticipantLeft(participant_id=pid):
            return replace(state, present=without(state.present, pid))
        case ev.StaffNotePosted():
            return replace(state, notes=state.notes + 1)
    raise TypeError(f"no session fold for {body.type}")


def effective_at(event: Recorded) -> datetime:
    """When a transition took effect: its planned time when the schedule caught it up late
    (so people still present are recorded as leaving at the close, not at the restart)."""
    planned = getattr(event.body, "scheduled_at", "")
    return min(datetime.fromisoformat(planned), event.at) if planned else event.at


def _with_duty(state: LiveState, on_duty: dict[int, Duty], event: Recorded) -> LiveState:
    roster = tuple(sorted((d.staff_id, d.post) for d in on_duty.values()))
    return replace(state, on_duty=on_duty, duty_history=(*state.duty_history, (event.at, roster)))


def _marked(presence: Presence, mark: str) -> Presence:
    if mark == Mark.ATTENTION:
        return replace(presence, attention=True)
    if mark == Mark.ATTENTION_RESOLVED:
        return replace(presence, attention=False)
    return replace(presence, mode=mark)


def new_state(meetup_id: int) -> LiveState:
    return LiveState(meetup_id=meetup_id)


FOLDS = dict.fromkeys((kind.type for kind in ev.EVENTS), apply_session)
