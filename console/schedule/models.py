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


class SessionPlan(SQLModel, table=True):
    """What the schedule records of a session besides its times (spec 6(3), 6(4)): the venue,
    a family class's lecturer and theme, and every schedule rule the manager broke with the
    reason given (`exceptions`: one "rule label: reason" a line)."""

    meetup_id: int = Field(foreign_key="meetup.id", primary_key=True)
    venue: str = Field(default="", max_length=100)
    lecturer: str = Field(default="", max_length=100)
    theme: str = Field(default="", max_length=200)
    exceptions: str = Field(default="", max_length=2000)


class StaffExperience(SQLModel, table=True):
    """What the staffing rules need to know of a staff member besides their role and
    qualification: experience supporting people in hikikomori (the manager's requirement, spec
    7(2)), and workshop facilitations before the console kept them (spec 6(4)⑥; the log counts
    the rest)."""

    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    hikikomori_experience: bool = False
    prior_facilitations: int = 0
