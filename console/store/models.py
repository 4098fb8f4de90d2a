"""The store's own table: emails waiting in the outbox."""

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from console.store.columns import utc_column, utcnow
from console.store.crypto import Encrypted


class OutboxMessage(SQLModel, table=True):
    """An email waiting to be sent, or sent. Written in the transaction that caused it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)  # what it is about: sent once per key
    to_addr: str = Field(sa_column=Column(Encrypted("outbox.to_addr"), nullable=False))
    subject: str = Field(max_length=200)  # never carries a name
    body: str = Field(sa_column=Column(Encrypted("outbox.body"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class DataKey(SQLModel, table=True):
    """A key that encrypted this database's values (`data`) or computed its blind indexes
    (`index`), known by id and fingerprint only: the key itself never enters the database.
    Checked before the console serves or rotates (`console.store.datakeys`)."""

    fingerprint: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=8)
    key_id: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
