"""The audit trail: every read of personal data and every report leaves an entry."""

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from console.security.models import AuditEntry
from console.store.db import transaction

T = TypeVar("T")


def audited_read(
    engine, staff_id: int, action: str, target: str, read: Callable[[Session], T]
) -> T:
    """Record who reads what (committed first: an attempt is audited too), then run `read` in
    a read transaction of its own, so a long read never holds the database's write lock."""
    with transaction(engine) as db:
        db.add(AuditEntry(staff_id=staff_id, action=action, target=target))
    with Session(engine) as db:
        return read(db)
