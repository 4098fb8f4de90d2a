"""Moderation events: flags, warnings, forced exits, blocks, refused entries, incidents."""

from dataclasses import dataclass

from console.live.events import Body


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


@dataclass(frozen=True)
class FlagDismissed(Body):
    """An open flag was closed without action. Fields: flag_seq, reason."""

    type = "flag_dismissed"
    flag_seq: int
    reason: str


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


@dataclass(frozen=True)
class ForcedExit(Body):
    """強制退室: the participant left every space at once. Fields: participant_id, space (where
    they were), reason (for the staff), immediate (no prior warning: threats or danger),
    for_ward (what the manager writes for the ward's report). Closes their open flags and
    creates a report to the ward."""

    type = "forced_exit"
    participant_id: int
    space: str
    reason: str
    immediate: bool = False
    for_ward: str = ""


@dataclass(frozen=True)
class ParticipantBlocked(Body):
    """ブロック: the participant may not enter any later session. Fields: participant_id, reason."""

    type = "participant_blocked"
    participant_id: int
    reason: str


@dataclass(frozen=True)
class ParticipantUnblocked(Body):
    """A block was lifted. Fields: participant_id, reason."""

    type = "participant_unblocked"
    participant_id: int
    reason: str


@dataclass(frozen=True)
class EntryRefused(Body):
    """A blocked participant tried to enter; nobody entered. Fields: participant_id, space."""

    type = "entry_refused"
    participant_id: int
    space: str


@dataclass(frozen=True)
class ModerationNoteAdded(Body):
    """A staff-only note about a participant's conduct. Fields: participant_id, text."""

    type = "moderation_note_added"
    participant_id: int
    text: str


@dataclass(frozen=True)
class IncidentRecorded(Body):
    """事故・トラブル (spec 9). Fields: kind (an `IncidentKind` value), what (what happened),
    police (police called), fire (fire/ambulance called), actions (actions taken) — the staff's
    record — and for_ward (the text written for the ward's report). Creates a report to the
    ward."""

    type = "incident_recorded"
    kind: str
    what: str
    police: bool
    fire: bool
    actions: str
    for_ward: str = ""


EVENTS: tuple[type[Body], ...] = (
    FlagRaised,
    FlagDismissed,
    WarningGiven,
    ForcedExit,
    ParticipantBlocked,
    ParticipantUnblocked,
    EntryRefused,
    ModerationNoteAdded,
    IncidentRecorded,
)
