"""Care's tables: follow-ups, block decisions, step-up plans and their stages, and the short
summaries staff keep of who needs support. What to do, notes, wishes and summaries are
personal data: encrypted at rest."""

import datetime as dt
from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted


class FollowUp(SQLModel, table=True):
    """A task about a person after the session (フォローアップ). `source` names what made it
    ("record:12", "exit:3:45", "plan:7") so the same cause never makes two."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    why: str = Field(max_length=16)  # Why
    source: str | None = Field(default=None, max_length=48, unique=True)
    task: str = Field(sa_column=Column(Encrypted("follow_up.task"), nullable=False))
    owner_id: int = Field(foreign_key="staff.id", index=True)
    due: dt.date = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    done_by: int | None = Field(default=None, foreign_key="staff.id")
    outcome: str | None = Field(default=None, max_length=16)  # Outcome
    note: str | None = Field(default=None, sa_column=Column(Encrypted("follow_up.note")))


class BlockDecision(SQLModel, table=True):
    """After every forced exit the manager decides: block, or not (with a reason) (spec
    6(1)⑥オ). Pending while `decided_at` is empty."""

    __table_args__ = (UniqueConstraint("meetup_id", "exit_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    meetup_id: int = Field(foreign_key="meetup.id")
    exit_seq: int
    exited_at: datetime = Field(sa_column=utc_column())
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_by: int | None = Field(default=None, foreign_key="staff.id")
    blocked: bool | None = None
    reason: str | None = Field(default=None, sa_column=Column(Encrypted("block_decision.reason")))


class SupportPlan(SQLModel, table=True):
    """A participant's wish to move on (spec 6(2)②) with the ward's application slip (申込票),
    and the staged support towards it (6(2)③). At most one open plan per participant."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    wish: str = Field(max_length=16)  # Wish
    detail: str = Field(sa_column=Column(Encrypted("support_plan.detail"), nullable=False))
    slip_received: dt.date | None = None
    slip_for: str | None = Field(default=None, sa_column=Column(Encrypted("support_plan.slip_for")))
    status: str = Field(default="active", max_length=16)  # PlanStatus
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    created_by: int = Field(foreign_key="staff.id")
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PlanStage(SQLModel, table=True):
    """One stage of a plan: its kind, its date, and once it happened, its result."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="supportplan.id", index=True)
    kind: str = Field(max_length=16)  # StageKind
    on: dt.date
    result: str | None = Field(default=None, max_length=16)  # StageResult
    note: str | None = Field(default=None, sa_column=Column(Encrypted("plan_stage.note")))
    recorded_by: int = Field(foreign_key="staff.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class SupportNeed(SQLModel, table=True):
    """A participant the staff consider in need of support, with the short summary the
    monthly liaison meeting with the ward reads (spec 6(6)). Open while `cleared_at` is
    empty."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    summary: str = Field(sa_column=Column(Encrypted("support_need.summary"), nullable=False))
    marked_by: int = Field(foreign_key="staff.id")
    marked_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    cleared_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class LeakCase(SQLModel, table=True):
    """個人情報漏えいの疑い (spec 9(2)), recorded whenever it is found — in a session or not —
    and reported to the ward, then followed by updates until it is closed."""

    id: int | None = Field(default=None, primary_key=True)
    found_at: datetime = Field(sa_column=utc_column())
    recorded_by: int = Field(foreign_key="staff.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    what: str = Field(sa_column=Column(Encrypted("leak_case.what"), nullable=False))  # 経緯
    affected: str = Field(sa_column=Column(Encrypted("leak_case.affected"), nullable=False))
    affected_count: int | None = None  # None: not yet known
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class LeakUpdate(SQLModel, table=True):
    """One report in a leak case's chain to the ward: the first report, a status update, or
    the closing report. Each is emailed to the ward through the outbox."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="leakcase.id", index=True)
    kind: str = Field(max_length=8)  # first | update | closing
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    by: int = Field(foreign_key="staff.id")
    text: str = Field(sa_column=Column(Encrypted("leak_update.text"), nullable=False))
