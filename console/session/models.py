"""Participants: the people who take part, known by a code and an avatar name."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow


class Participant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    display_name: str = Field(max_length=64)
    age_bracket: str = Field(default="unknown", max_length=16)
    gender: str | None = Field(default=None, max_length=16)
    district: str = Field(default="unknown", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
