"""Database tables. The event log (`EventRow`) is written by `console.eventlog` alone."""

import datetime as dt
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, TypeDecorator, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from console.crypto import Encrypted


class UTCDateTime(TypeDecorator):
    """Stores UTC (naive in SQLite, timestamptz in PostgreSQL); always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Staff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login_id: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    qualification: str | None = Field(default=None, max_length=32)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class StaffSession(SQLModel, table=True):
    """A login. The cookie carries the token; only its SHA-256 is stored."""

    token_hash: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())


class LoginThrottle(SQLModel, table=True):
    """Failed logins per login id, known or not, so a lockout reveals nothing."""

    login_key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Participant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    display_name: str = Field(max_length=64)
    age_bracket: str = Field(default="unknown", max_length=16)
    gender: str | None = Field(default=None, max_length=16)
    district: str = Field(default="unknown", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


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


class AuditEntry(SQLModel, table=True):
    """Who read which personal data, when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    staff_id: int = Field(foreign_key="staff.id", index=True)
    action: str = Field(max_length=48)
    target: str = Field(max_length=128)


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


class OutboxMessage(SQLModel, table=True):
    """An email waiting to be sent, or sent. Written in the transaction that caused it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)  # what it is about: sent once per key
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=200)  # never carries a name
    body: str = Field(sa_column=Column(Encrypted("outbox.body"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


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


class Handoff(SQLModel, table=True):
    """A case shared with the ward's hikikomori helpline (spec 6(1)①エ): by email after a second
    staff member confirmed the recipient (spec 12(5)(ウ)), or by phone."""

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="consultationrecord.id", index=True)
    method: str = Field(max_length=8)  # email | phone
    prepared_by: int = Field(foreign_key="staff.id")
    prepared_at: datetime = Field(sa_column=utc_column())
    to_addr: str | None = Field(default=None, max_length=254)
    summary: str = Field(sa_column=Column(Encrypted("handoff.summary"), nullable=False))
    confirmed_by: int | None = Field(default=None, foreign_key="staff.id")
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    spoke_to: str | None = Field(default=None, sa_column=Column(Encrypted("handoff.spoke_to")))
    called_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Notice(SQLModel, table=True):
    """A notice for the manager's home page (e.g. a report due soon), left by a job."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    text: str = Field(max_length=500)


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
    snapshot: str | None = None  # the finalised Document as JSON: counts only
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
