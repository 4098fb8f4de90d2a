"""The bridge's reference tables: which participant an avatar is, the gate's one-time entry
tokens, and the deliveries the webhook refused (for the health panel)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow


class AvatarLink(SQLModel, table=True):
    """The platform's avatar id of a participant (it outlives a meetup). `via`: "token" (the
    entry gate's one-time token) or "staff" (confirmed on the board)."""

    avatar_id: str = Field(primary_key=True, max_length=64)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    linked_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    via: str = Field(max_length=16)


class EntryToken(SQLModel, table=True):
    """A one-time token the entry gate hands the platform for one admitted participant; only
    its SHA-256 is kept."""

    token_hash: str = Field(primary_key=True, max_length=64)
    meetup_id: int = Field(foreign_key="meetup.id", index=True)
    participant_id: int = Field(foreign_key="participant.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PlatformRefusal(SQLModel, table=True):
    """A delivery the webhook answered with a 4xx (nothing appended): when, and why."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    reason: str = Field(max_length=32)
    meetup_id: int | None = Field(default=None, index=True)
