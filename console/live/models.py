"""The event log's tables: a meetup (the stream its events belong to) and its events.

`Meetup.status` and `Meetup.last_seq` are kept by `console.live.eventlog`, the only writer of
`EventRow`."""

import datetime as dt
from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column
from console.store.crypto import Encrypted


class Meetup(SQLModel, table=True):
    """One session (開催回). `status` and `last_seq` are kept by the event log's writer."""

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date = Field(index=True)
    kind: str = Field(default="metaverse", max_length=16)
    doors_at: datetime = Field(sa_column=utc_column())
    starts_at: datetime = Field(sa_column=utc_column())
    ends_at: datetime = Field(sa_column=utc_column())
    rooms: int = 2
    groups: int | None = None  # family classes: workshop groups, each needs a facilitator
    status: str = Field(default="scheduled", max_length=16)
    last_seq: int = 0


class EventRow(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("meetup_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", index=True)
    seq: int
    type: str = Field(max_length=48)
    actor_id: int | None = Field(default=None, foreign_key="staff.id")
    participant_id: int | None = Field(default=None, index=True)  # the subject, if any
    at: datetime = Field(sa_column=utc_column())
    # Notes, wordings and reasons in payloads may name people: encrypted like any personal data.
    payload: str = Field(sa_column=Column(Encrypted("event.payload"), nullable=False))
    command_id: str = Field(max_length=64, unique=True)
    # SHA-256 (hex) of the command's name and input, so a retry is told apart from a command id
    # reused for something else. NULL in rows written before it was kept: those are unknown.
    fingerprint: str | None = Field(default=None, max_length=64)
