"""Staff accounts, their logins, failed-login counters, and the audit trail of reads."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow


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
    """Failed logins per login id, known or not, so a delay reveals nothing. The key is the
    login id's blind index: a login id typed by mistake (even a password) is never stored."""

    login_key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AuditEntry(SQLModel, table=True):
    """Who read which personal data, when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    staff_id: int = Field(foreign_key="staff.id", index=True)
    action: str = Field(max_length=48)
    target: str = Field(max_length=128)
