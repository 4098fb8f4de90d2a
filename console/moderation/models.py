"""Blocks held against participants, and the reports the ward receives."""

from datetime import datetime

from sqlalchemy import Column, Index, text
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted


class Block(SQLModel, table=True):
    """A block held against the participant record: it outlives the session (spec 6(1)⑥オ).
    At most one active (not lifted) block per participant, enforced by a partial index."""

    __table_args__ = (
        Index(
            "one_active_block_per_participant",
            "participant_id",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    meetup_id: int = Field(foreign_key="meetup.id")
    blocked_at: datetime = Field(sa_column=utc_column())
    blocked_by: int = Field(foreign_key="staff.id")
    reason: str = Field(sa_column=Column(Encrypted("block.reason"), nullable=False))
    lifted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    lifted_by: int | None = Field(default=None, foreign_key="staff.id")
    lift_reason: str | None = Field(default=None, sa_column=Column(Encrypted("block.lift_reason")))


class WardReport(SQLModel, table=True):
    """A report the ward receives: every forced exit and every incident (spec 6(1)⑥オ, 9)."""

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", index=True)
    event_seq: int
    kind: str = Field(max_length=16)  # forced_exit | incident
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Encrypted("ward_report.body"), nullable=False))
