"""Consultation records and their handoffs to the helpline."""

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column
from console.store.crypto import Encrypted


class ConsultationRecord(SQLModel, table=True):
    """One individual consultation (spec 6(1)①ウ). Content and answer are encrypted at rest.
    Created as a draft when a counsellor takes the participant into a room."""

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", index=True)
    start_seq: int  # the consultation_started event
    room: int
    participant_id: int = Field(foreign_key="participant.id", index=True)
    counsellor_id: int = Field(foreign_key="staff.id")
    started_at: datetime = Field(sa_column=utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    complete: bool = False
    topic: str | None = Field(default=None, max_length=32)
    age_bracket: str | None = Field(default=None, max_length=16)
    gender: str | None = Field(default=None, max_length=16)
    follow_up: bool = False
    helpline_consent: bool = False
    content: str | None = Field(default=None, sa_column=Column(Encrypted("consultation.content")))
    answer: str | None = Field(default=None, sa_column=Column(Encrypted("consultation.answer")))
    updated_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    updated_by: int | None = Field(default=None, foreign_key="staff.id")


class RecordSharing(SQLModel, table=True):
    """What a record's sharing with the helpline depends on, written when it is saved: the
    consent policy in force (HELPLINE_CONSENT_REQUIRED), when it was first completed, and a
    「共有不要」 mark with its reason. A record saved before these were kept has no row: its
    consent was required, and its last save stands for its completion."""

    record_id: int = Field(primary_key=True, foreign_key="consultationrecord.id")
    consent_required: bool = True
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    waived_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    waived_by: int | None = Field(default=None, foreign_key="staff.id")
    waived_reason: str | None = Field(
        default=None, sa_column=Column(Encrypted("record_sharing.waived_reason"))
    )


class Handoff(SQLModel, table=True):
    """A case shared with the ward's hikikomori helpline (spec 6(1)①エ): by email after a second
    staff member confirmed the recipient (spec 12(5)(ウ)), or by phone."""

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="consultationrecord.id", index=True)
    method: str = Field(max_length=8)  # email | phone
    prepared_by: int = Field(foreign_key="staff.id")
    prepared_at: datetime = Field(sa_column=utc_column())
    to_addr: str | None = Field(default=None, sa_column=Column(Encrypted("handoff.to_addr")))
    summary: str = Field(sa_column=Column(Encrypted("handoff.summary"), nullable=False))
    confirmed_by: int | None = Field(default=None, foreign_key="staff.id")
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    spoke_to: str | None = Field(default=None, sa_column=Column(Encrypted("handoff.spoke_to")))
    called_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
