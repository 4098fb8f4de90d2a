"""Monthly report versions, and the figures kept for each closed session."""

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted


class MonthlyReport(SQLModel, table=True):
    """One version of a monthly report (spec 6(7)). A draft's figures come from the log as it
    stands; finalising freezes them in `snapshot` and the row never changes again. A correction
    is the next version, a new draft."""

    __table_args__ = (UniqueConstraint("year", "month", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    month: int
    version: int = 1
    status: str = Field(default="draft", max_length=8)  # draft | final
    notable: str = Field(default="", sa_column=Column(Encrypted("monthly.notable"), nullable=False))
    ward_items: str = Field(
        default="", sa_column=Column(Encrypted("monthly.ward_items"), nullable=False)
    )
    correction_reason: str | None = Field(default=None, max_length=500)
    # The finalised Document as JSON: counts, and the free texts encrypted in their columns too.
    snapshot: str | None = Field(default=None, sa_column=Column(Encrypted("monthly.snapshot")))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    created_by: int = Field(foreign_key="staff.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    finalised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    finalised_by: int | None = Field(default=None, foreign_key="staff.id")


class FiguresCache(SQLModel, table=True):
    """A closed session's figures (`figures.SessionFigures`) as of its `last_seq`: a projection
    of the log kept so reports over a year need not re-read every event. Stale as soon as the
    meetup's `last_seq` or the staff roster it was computed with differs; then recomputed."""

    meetup_id: int = Field(primary_key=True, foreign_key="meetup.id")
    last_seq: int
    roster: str = Field(max_length=64)
    data: str = Field(sa_column=Column(Encrypted("figures_cache.data"), nullable=False))


class KeptReport(SQLModel, table=True):
    """A month's report document (its figures and the texts of the year as they stood, with
    the free text ① and ③ left to the version that shows it) kept by a disposal run, so the
    reports of the year read the same once the log's personal data is gone."""

    __table_args__ = (UniqueConstraint("year", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    month: int
    document: str = Field(sa_column=Column(Encrypted("kept_report.document"), nullable=False))
