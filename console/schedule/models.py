"""Notices the schedule's jobs leave for the manager's home page."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow


class Notice(SQLModel, table=True):
    """A notice for the manager's home page (e.g. a report due soon), left by a job."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    text: str = Field(max_length=500)
