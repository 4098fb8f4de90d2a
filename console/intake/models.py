"""People who apply, their applications, the terms of use, and credential notices.

A person's personal data (氏名, ふりがな, 住所, 生年月日, メール, 電話, 続柄) is one sealed value
(`console.intake.personal`), encrypted with the row's own `uid` in its associated data, so a
ciphertext copied onto another person's row does not decrypt.
"""

import datetime as dt
from datetime import datetime

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted

PERSON_CONTEXT = "person"


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=8)  # ApplicantKind
    sealed: str = Field(
        sa_column=Column(Text, nullable=False, info={"row_sealed": (PERSON_CONTEXT, "uid")})
    )
    district: str = Field(max_length=16)  # derived from the address: counted in reports
    # Keyed hashes (blind indexes) for finding the same person again: never plain hashes.
    email_match: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    name_birth_match: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    residency: str = Field(default="unchecked", max_length=12)  # Residency
    checked_fiscal_year: int | None = None
    participant_id: int | None = Field(default=None, foreign_key="participant.id", unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    terms_consented_id: int | None = Field(default=None, foreign_key="termsversion.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class TermsVersion(SQLModel, table=True):
    """利用規約 (spec 6(1)⑥イ, 6(3)⑦): the manager drafts, the ward approves; an approved
    version never changes (a change is a new version)."""

    __table_args__ = (UniqueConstraint("service", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    service: str = Field(max_length=16)  # MeetupKind
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    drafted_by: int = Field(foreign_key="staff.id")
    drafted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    approved_by: int | None = Field(default=None, foreign_key="staff.id")
    approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Application(SQLModel, table=True):
    """One application: per fiscal year for metaverse meetups (one registration covers every
    session of the year), per session for in-person drop-ins and family classes."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    service: str = Field(max_length=16)  # MeetupKind
    fiscal_year: int = Field(index=True)
    meetup_id: int | None = Field(default=None, foreign_key="meetup.id", index=True)
    channel: str = Field(max_length=8)
    terms_id: int = Field(foreign_key="termsversion.id")
    status: str = Field(default="received", max_length=12)
    reason: str | None = Field(default=None, sa_column=Column(Encrypted("application.reason")))
    held: bool = False  # may match a blocked person: the manager decides (never the applicant)
    client_token: str = Field(max_length=64, unique=True)  # one application per submission
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    entered_by: int | None = Field(default=None, foreign_key="staff.id")  # on the phone etc.
    # A walk-in admitted at reception before the ward's check: the manager's reason.
    walk_in_reason: str | None = Field(
        default=None, sa_column=Column(Encrypted("application.walk_in_reason"))
    )


class CredentialNotice(SQLModel, table=True):
    """An email with a participant ID and password: prepared by one staff member, its address
    confirmed by another (spec 12(5)(ウ)); the password is made at confirmation and exists in
    the email alone."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    to_addr: str = Field(sa_column=Column(Encrypted("credential.to_addr"), nullable=False))
    reissue: bool = False
    prepared_by: int = Field(foreign_key="staff.id")
    prepared_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    confirmed_by: int | None = Field(default=None, foreign_key="staff.id")
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


def fiscal_year_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1
