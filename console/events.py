"""Every kind of event a meetup's log can hold: one small class each.

An event body states a fact in the past tense. It holds identifiers, never names or other
personal data, so the log can be kept and reported on without decrypting anything.
`Recorded` is the envelope the event log gives a body once it is committed.
"""

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from functools import cache
from typing import ClassVar


@dataclass(frozen=True)
class Body:
    type: ClassVar[str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


KINDS: dict[str, type[Body]] = {}


def kind(cls: type[Body]) -> type[Body]:
    KINDS[cls.type] = cls
    return cls


@kind
@dataclass(frozen=True)
class DoorsOpened(Body):
    """Entry opened (入室受付開始, normally 13:45). Fields: reason (when opened by hand before
    its time), scheduled_at (ISO time it was planned for, when the schedule opened it)."""

    type = "doors_opened"
    reason: str = ""
    scheduled_at: str = ""  # set by the schedule: the transition's true (planned) time


@kind
@dataclass(frozen=True)
class MeetupStarted(Body):
    """The session began (normally 14:00); entries after this are late joiners. Fields: reason,
    scheduled_at."""

    type = "meetup_started"
    reason: str = ""
    scheduled_at: str = ""


@kind
@dataclass(frozen=True)
class MeetupClosed(Body):
    """The session closed (normally 17:00). Everyone still present leaves and every staff member
    goes off duty at this event's time; consultations still open are flagged for their
    records. Fields: reason, scheduled_at."""

    type = "meetup_closed"
    reason: str = ""
    scheduled_at: str = ""


@kind
@dataclass(frozen=True)
class WrapUpNoticed(Body):
    """The wrap-up notice (normally 16:45): the session closes soon. Fields: scheduled_at."""

    type = "wrap_up_noticed"
    scheduled_at: str = ""


@kind
@dataclass(frozen=True)
class StaffOnDuty(Body):
    """A staff member went on duty. Fields: staff_id, post (a `Post` value)."""

    type = "staff_on_duty"
    staff_id: int
    post: str


@kind
@dataclass(frozen=True)
class StaffPostChanged(Body):
    """A staff member on duty moved to another post. Fields: staff_id, post."""

    type = "staff_post_changed"
    staff_id: int
    post: str


@kind
@dataclass(frozen=True)
class StaffOffDuty(Body):
    """A staff member went off duty. Fields: staff_id."""

    type = "staff_off_duty"
    staff_id: int


@kind
@dataclass(frozen=True)
class ParticipantEntered(Body):
    """A participant entered the metaverse space. Fields: participant_id, space, late (entered
    after the session had started: 途中参加)."""

    type = "participant_entered"
    participant_id: int
    space: str
    late: bool


@kind
@dataclass(frozen=True)
class ParticipantMoved(Body):
    """A participant moved between spaces. Fields: participant_id, from_space, to_space."""

    type = "participant_moved"
    participant_id: int
    from_space: str
    to_space: str


@kind
@dataclass(frozen=True)
class ParticipantMarked(Body):
    """Staff marked a present participant. Fields: participant_id, mark (a `Mark` value: talking,
    listening only, needs attention, attention resolved)."""

    type = "participant_marked"
    participant_id: int
    mark: str


@kind
@dataclass(frozen=True)
class ParticipantLeft(Body):
    """A participant left the metaverse space. Fields: participant_id."""

    type = "participant_left"
    participant_id: int


@kind
@dataclass(frozen=True)
class StaffNotePosted(Body):
    """A note on the staff-only channel (spec 7(1)). Fields: text, for_report (to be carried
    into the post-session summary). Staff only: never shown to the ward role."""

    type = "staff_note_posted"
    text: str
    for_report: bool = False


@kind
@dataclass(frozen=True)
class FlagRaised(Body):
    """On-duty staff flagged a possible breach of the terms of use (spec 6(1)⑥エ). Fields:
    participant_id (None for an unidentified avatar), description (who, when unidentified),
    space, reason (a `FlagReason` value), note. The flag is known by this event's seq."""

    type = "flag_raised"
    participant_id: int | None
    description: str
    space: str
    reason: str
    note: str


@kind
@dataclass(frozen=True)
class FlagDismissed(Body):
    """An open flag was closed without action. Fields: flag_seq, reason."""

    type = "flag_dismissed"
    flag_seq: int
    reason: str


@kind
@dataclass(frozen=True)
class WarningGiven(Body):
    """事前通告: a participant was warned, citing a rule, with the wording delivered. Fields:
    participant_id, rule (a `FlagReason` value), wording, flag_seq (the flag acted on, or 0),
    cool_down (a rest in the rest space was suggested). A warning is a record, not a strike."""

    type = "warning_given"
    participant_id: int
    rule: str
    wording: str
    flag_seq: int = 0
    cool_down: bool = False


@kind
@dataclass(frozen=True)
class ForcedExit(Body):
    """強制退室: the participant left every space at once. Fields: participant_id, space (where
    they were), reason, immediate (no prior warning: threats or danger). Closes their open
    flags and creates a report to the ward."""

    type = "forced_exit"
    participant_id: int
    space: str
    reason: str
    immediate: bool = False


@kind
@dataclass(frozen=True)
class ParticipantBlocked(Body):
    """ブロック: the participant may not enter any later session. Fields: participant_id, reason."""

    type = "participant_blocked"
    participant_id: int
    reason: str


@kind
@dataclass(frozen=True)
class ParticipantUnblocked(Body):
    """A block was lifted. Fields: participant_id, reason."""

    type = "participant_unblocked"
    participant_id: int
    reason: str


@kind
@dataclass(frozen=True)
class EntryRefused(Body):
    """A blocked participant tried to enter; nobody entered. Fields: participant_id, space."""

    type = "entry_refused"
    participant_id: int
    space: str


@kind
@dataclass(frozen=True)
class ModerationNoteAdded(Body):
    """A staff-only note about a participant's conduct. Fields: participant_id, text."""

    type = "moderation_note_added"
    participant_id: int
    text: str


@kind
@dataclass(frozen=True)
class IncidentRecorded(Body):
    """事故・トラブル (spec 9). Fields: kind (an `IncidentKind` value), what (what happened),
    police (police called), fire (fire/ambulance called), actions (actions taken). Creates a
    report to the ward."""

    type = "incident_recorded"
    kind: str
    what: str
    police: bool
    fire: bool
    actions: str


@kind
@dataclass(frozen=True)
class ConsultationRequested(Body):
    """A present participant asked for an individual consultation: they join the queue.
    Fields: participant_id. The request is known by this event's seq."""

    type = "consultation_requested"
    participant_id: int


@kind
@dataclass(frozen=True)
class ConsultationCancelled(Body):
    """A waiting request was withdrawn. Fields: request_seq, participant_id."""

    type = "consultation_cancelled"
    request_seq: int
    participant_id: int


@kind
@dataclass(frozen=True)
class ConsultationStarted(Body):
    """A counsellor took a waiting participant into a free room (個別相談室). Fields:
    request_seq, participant_id, room (1..rooms), counsellor_id, record_id (the draft record)."""

    type = "consultation_started"
    request_seq: int
    participant_id: int
    room: int
    counsellor_id: int
    record_id: int


@kind
@dataclass(frozen=True)
class ConsultationEnded(Body):
    """The consultation in a room ended; the participant went to another space. Fields:
    participant_id, room, to_space, record_id."""

    type = "consultation_ended"
    participant_id: int
    room: int
    to_space: str
    record_id: int


@kind
@dataclass(frozen=True)
class ConsultationRecordSaved(Body):
    """A consultation record was saved (its content is encrypted in its own table, never here).
    Fields: record_id, participant_id, complete (finished, not a draft), topic."""

    type = "consultation_record_saved"
    record_id: int
    participant_id: int
    complete: bool
    topic: str


@kind
@dataclass(frozen=True)
class HandoffPrepared(Body):
    """A handoff to the helpline was prepared and awaits a second staff member's check of the
    recipient. Fields: handoff_id, record_id."""

    type = "handoff_prepared"
    handoff_id: int
    record_id: int


@kind
@dataclass(frozen=True)
class HandoffConfirmed(Body):
    """A second staff member confirmed the recipient; the email is queued in the outbox.
    Fields: handoff_id, record_id."""

    type = "handoff_confirmed"
    handoff_id: int
    record_id: int


@kind
@dataclass(frozen=True)
class PhoneHandoffRecorded(Body):
    """A case was shared with the helpline by phone. Fields: handoff_id, record_id."""

    type = "phone_handoff_recorded"
    handoff_id: int
    record_id: int


@cache
def _field_names(cls: type[Body]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def body_from_json(type_: str, payload: str) -> Body:
    cls = KINDS[type_]
    data = json.loads(payload)
    return cls(**{name: data[name] for name in _field_names(cls) if name in data})


@dataclass(frozen=True)
class Recorded:
    """A committed event: its body plus where and when it stands in the log."""

    meetup_id: int
    seq: int
    at: datetime
    actor_id: int | None
    command_id: str
    body: Body

    @property
    def type(self) -> str:
        return self.body.type
