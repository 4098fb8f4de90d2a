"""Consultation events: the queue, the rooms, records and helpline handoffs."""

from dataclasses import dataclass

from console.live.events import Body


@dataclass(frozen=True)
class ConsultationRequested(Body):
    """A present participant asked for an individual consultation: they join the queue.
    Fields: participant_id. The request is known by this event's seq."""

    type = "consultation_requested"
    participant_id: int


@dataclass(frozen=True)
class ConsultationCancelled(Body):
    """A waiting request was withdrawn. Fields: request_seq, participant_id."""

    type = "consultation_cancelled"
    request_seq: int
    participant_id: int


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


@dataclass(frozen=True)
class ConsultationEnded(Body):
    """The consultation in a room ended; the participant went to another space. Fields:
    participant_id, room, to_space, record_id."""

    type = "consultation_ended"
    participant_id: int
    room: int
    to_space: str
    record_id: int


@dataclass(frozen=True)
class ConsultationRecordSaved(Body):
    """A consultation record was saved (its content is encrypted in its own table, never here).
    Fields: record_id, participant_id, complete (finished, not a draft), topic, and
    amend_reason: why a record already complete was changed ("" for a draft or the first
    completion; events written before amendments were recorded have none)."""

    type = "consultation_record_saved"
    record_id: int
    participant_id: int
    complete: bool
    topic: str
    amend_reason: str = ""


@dataclass(frozen=True)
class HandoffPrepared(Body):
    """A handoff to the helpline was prepared and awaits a second staff member's check of the
    recipient. Fields: handoff_id, record_id."""

    type = "handoff_prepared"
    handoff_id: int
    record_id: int


@dataclass(frozen=True)
class HandoffConfirmed(Body):
    """A second staff member confirmed the recipient; the email is queued in the outbox.
    Fields: handoff_id, record_id."""

    type = "handoff_confirmed"
    handoff_id: int
    record_id: int


@dataclass(frozen=True)
class PhoneHandoffRecorded(Body):
    """A case was shared with the helpline by phone. Fields: handoff_id, record_id."""

    type = "phone_handoff_recorded"
    handoff_id: int
    record_id: int


@dataclass(frozen=True)
class ShareWaived(Body):
    """A complete record was marked 「共有不要」: it needs no sharing with the helpline (the
    reason is kept, encrypted, on the record). Fields: record_id."""

    type = "share_waived"
    record_id: int


EVENTS: tuple[type[Body], ...] = (
    ConsultationRequested,
    ConsultationCancelled,
    ConsultationStarted,
    ConsultationEnded,
    ConsultationRecordSaved,
    HandoffPrepared,
    HandoffConfirmed,
    PhoneHandoffRecorded,
    ShareWaived,
)
