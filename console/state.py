"""A meetup's live state: a pure fold of its events.

`apply(state, event)` never mutates `state`; it returns a new value. That lets a command
validate against a snapshot in a worker thread while the event loop keeps serving the
current one, and it makes "stale state + new events == fresh fold" testable.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from console import events as ev
from console.vocab import Mark, MeetupStatus, Space


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


class OutOfOrder(Exception):
    """An event was applied to a state that is not exactly one seq behind it."""


def _with_present(state: LiveState, presence: Presence) -> dict[int, Presence]:
    return {**state.present, presence.participant_id: presence}


def _without(mapping: dict, key: int) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


def apply(state: LiveState, event: ev.Recorded) -> LiveState:
    """The state after `event`. Raises OutOfOrder unless event.seq == state.seq + 1."""
    if event.meetup_id != state.meetup_id or event.seq != state.seq + 1:
        raise OutOfOrder(f"state at {state.seq} cannot take event {event.seq}")
    state = _apply(replace(state, seq=event.seq), event)
    return _settle_consultations(state)


def _settle_consultations(state: LiveState) -> LiveState:
    """Whoever is no longer present leaves the queue; a room is free once its participant
    is no longer in the consultation space (moved, left, forced out, or the meetup closed)."""
    queue = {k: w for k, w in state.queue.items() if w.participant_id in state.present}
    rooms = {
        k: r
        for k, r in state.rooms.items()
        if r.participant_id in state.present
        and state.present[r.participant_id].space == Space.CONSULTATION
    }
    if len(queue) == len(state.queue) and len(rooms) == len(state.rooms):
        return state
    return replace(state, queue=queue, rooms=rooms)


def _apply(state: LiveState, event: ev.Recorded) -> LiveState:
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
            return _with_duty(state, _without(state.on_duty, sid), event)
        case ev.ParticipantEntered(participant_id=pid, space=space, late=late):
            presence = Presence(
                participant_id=pid,
                space=space,
                entered_at=event.at,
                late=late,
                space_since=event.at,
            )
            present = _with_present(state, presence)
            return replace(
                state,
                present=present,
                attended=state.attended | {pid},
                late_joiners=state.late_joiners | {pid} if late else state.late_joiners,
                peak=max(state.peak, len(present)),
            )
        case ev.ParticipantMoved(participant_id=pid, to_space=space):
            moved = replace(state.present[pid], space=space, space_since=event.at)
            return replace(state, present=_with_present(state, moved))
        case ev.ParticipantMarked(participant_id=pid, mark=mark):
            return replace(state, present=_with_present(state, _marked(state.present[pid], mark)))
        case ev.ParticipantLeft(participant_id=pid):
            return replace(state, present=_without(state.present, pid))
        case ev.StaffNotePosted():
            return replace(state, notes=state.notes + 1)
        case ev.FlagRaised():
            flag = Flag(seq=event.seq, at=event.at, actor_id=event.actor_id, **asdict(body))
            return replace(state, open_flags={**state.open_flags, event.seq: flag})
        case ev.FlagDismissed(flag_seq=flag_seq):
            return replace(state, open_flags=_without(state.open_flags, flag_seq))
        case ev.WarningGiven(participant_id=pid, flag_seq=flag_seq):
            warnings = {**state.warnings, pid: (*state.warnings.get(pid, ()), event.seq)}
            return replace(
                state, warnings=warnings, open_flags=_without(state.open_flags, flag_seq)
            )
        case ev.ForcedExit(participant_id=pid):
            flags = {k: f for k, f in state.open_flags.items() if f.participant_id != pid}
            return replace(
                state,
                present=_without(state.present, pid),
                open_flags=flags,
                forced_exits=(*state.forced_exits, (pid, body.immediate)),
            )
        case ev.ParticipantBlocked():
            return replace(state, blocks=state.blocks + 1)
        case ev.ParticipantUnblocked() | ev.ModerationNoteAdded():
            return state
        case ev.EntryRefused(participant_id=pid):
            return replace(state, refused_entries=(*state.refused_entries, (pid, event.at)))
        case ev.ConsultationRequested(participant_id=pid):
            waiting = Waiting(seq=event.seq, participant_id=pid, since=event.at)
            return replace(state, queue={**state.queue, event.seq: waiting})
        case ev.ConsultationCancelled(request_seq=request_seq):
            return replace(state, queue=_without(state.queue, request_seq))
        case ev.ConsultationStarted(request_seq=request_seq, participant_id=pid, room=room):
            in_room = InRoom(
                room=room,
                participant_id=pid,
                counsellor_id=body.counsellor_id,
                since=event.at,
                record_id=body.record_id,
            )
            moved = replace(state.present[pid], space=Space.CONSULTATION, space_since=event.at)
            return replace(
                state,
                queue=_without(state.queue, request_seq),
                rooms={**state.rooms, room: in_room},
                present=_with_present(state, moved),
                consultations=state.consultations + 1,
            )
        case ev.ConsultationEnded(participant_id=pid, room=room, to_space=space):
            moved = replace(state.present[pid], space=space, space_since=event.at)
            return replace(
                state, rooms=_without(state.rooms, room), present=_with_present(state, moved)
            )
        case ev.ConsultationRecordSaved() | ev.HandoffPrepared():
            return state
        case ev.HandoffConfirmed() | ev.PhoneHandoffRecorded():
            return replace(state, handoffs=state.handoffs + 1)
        case ev.IncidentRecorded(kind=kind):
            return replace(state, incidents=(*state.incidents, (event.seq, kind, event.at)))
    raise TypeError(f"no fold for {body.type}")


def effective_at(event: ev.Recorded) -> datetime:
    """When a transition took effect: its planned time when the schedule caught it up late
    (so people still present are recorded as leaving at the close, not at the restart)."""
    planned = getattr(event.body, "scheduled_at", "")
    return min(datetime.fromisoformat(planned), event.at) if planned else event.at


def _with_duty(state: LiveState, on_duty: dict[int, Duty], event: ev.Recorded) -> LiveState:
    roster = tuple(sorted((d.staff_id, d.post) for d in on_duty.values()))
    return replace(state, on_duty=on_duty, duty_history=(*state.duty_history, (event.at, roster)))


def _marked(presence: Presence, mark: str) -> Presence:
    if mark == Mark.ATTENTION:
        return replace(presence, attention=True)
    if mark == Mark.ATTENTION_RESOLVED:
        return replace(presence, attention=False)
    return replace(presence, mode=mark)


def fold(state: LiveState, events: Iterable[ev.Recorded]) -> LiveState:
    for event in events:
        state = apply(state, event)
    return state
