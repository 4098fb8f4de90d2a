"""Staff accounts, their logins and second factors, failed-login counters, the hash-chained
audit trail, and the take-out records of personal data."""

from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted


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
    """A login. The cookie carries the token; only its SHA-256 is stored. Until `factor_at`
    is set the login is only half done: it reaches the second-factor pages and nothing else.
    `confirmed_at` is when the password or the factor was last given (re-authentication)."""

    token_hash: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    factor_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    challenge: str | None = Field(default=None, max_length=128)  # WebAuthn, single use
    challenge_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class StaffFactor(SQLModel, table=True):
    """A staff member's TOTP secret (RFC 6238). Enrolled once `verified_at` is set;
    `last_step` is the last time step accepted, so a code is never accepted twice."""

    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    secret: str = Field(sa_column=Column(Encrypted("staff_factor.secret"), nullable=False))
    verified_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_step: int | None = None


class RecoveryCode(SQLModel, table=True):
    """One of ten single-use recovery codes (argon2id hashes only)."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    code_hash: str = Field(max_length=255)
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class LoginThrottle(SQLModel, table=True):
    """Failed logins per login id, known or not, so a delay reveals nothing. The key is the
    login id's blind index: a login id typed by mistake (even a password) is never stored."""

    login_key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AuditEntry(SQLModel, table=True):
    """One link of the audit chain: who did what to which record (IDs only), when. `hash`
    covers this row and `prev_hash`, the hash of the row before (security/audit.py); rows
    are only ever added. `staff_id` is empty for a failed login of an unknown id."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    action: str = Field(max_length=48, index=True)
    target: str = Field(max_length=128)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class TakeoutRecord(SQLModel, table=True):
    """A document holding personal data taken out of the console (12(5)(エ)): who, when,
    what, why, and how many records it held."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    staff_id: int = Field(foreign_key="staff.id", index=True)
    document: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Encrypted("takeout.reason"), nullable=False))
    count: int | None = None


class StaffProfile(SQLModel, table=True):
    """What the roster and the 実施体制図 need of a staff member (spec 7(7), 12(2)(3)):
    contact details (encrypted), when the copy of the qualification was submitted, the
    pledge (誓約書) date and the privacy-training dates (ISO dates, comma separated)."""

    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    phone: str | None = Field(default=None, sa_column=Column(Encrypted("staff_profile.phone")))
    email: str | None = Field(default=None, sa_column=Column(Encrypted("staff_profile.email")))
    emergency_contact: str | None = Field(
        default=None, sa_column=Column(Encrypted("staff_profile.emergency_contact"))
    )
    qualification_copy_on: date | None = None
    pledge_on: date | None = None
    training_days: str = Field(default="", max_length=400)


class StaffChange(SQLModel, table=True):
    """A change to the staffing — created, deactivated, role changed — with its reason."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    staff_id: int = Field(foreign_key="staff.id", index=True)
    by_id: int | None = Field(default=None, foreign_key="staff.id")
    change: str = Field(max_length=64)
    reason: str = Field(default="", max_length=500)


class Passkey(SQLModel, table=True):
    """A WebAuthn credential (a passkey or a security key) registered as a second factor."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    credential_id: str = Field(max_length=512, unique=True)
    public_key: str = Field(sa_column=Column(Text, nullable=False))
    sign_count: int = 0
    label: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Disposal(SQLModel, table=True):
    """A disposal run (12(5)(オ), 8(5)): prepared by the manager with the counts it would
    dispose of (`counts`: JSON of kinds and record counts, no personal data), approved by a
    ward login, then done: the data keys of the personal data destroyed (`keys`: their ids).
    Until it is done, the manager or the ward may withdraw it (the contract was extended, the
    counts looked wrong): `withdrawn_*`, with the reason."""

    id: int | None = Field(default=None, primary_key=True)
    prepared_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    prepared_by: int = Field(foreign_key="staff.id")
    counts: str = Field(sa_column=Column(Text, nullable=False))
    approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    approved_by: int | None = Field(default=None, foreign_key="staff.id")
    done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    done_by: int | None = Field(default=None, foreign_key="staff.id")
    keys: str = Field(default="", max_length=400)
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    withdrawn_by: int | None = Field(default=None, foreign_key="staff.id")
    withdrawn_reason: str | None = Field(default=None, max_length=500)
