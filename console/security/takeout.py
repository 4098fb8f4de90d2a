"""Take-out records (spec 12(5)(エ)): every document with personal data that leaves the
console — who, when, what, why, how many people — is recorded before it is handed over.

Minimal version: one audit entry per take-out (issue 15 brings the full record)."""

from console.security.models import AuditEntry
from console.store.db import transaction


def record_takeout(
    engine, *, staff_id: int, document: str, reason: str, count: int | None = None
) -> None:
    """Record one take-out, committed before the document is handed over."""
    target = f"{document}|{'' if count is None else count}|{reason}"
    with transaction(engine) as db:
        db.add(AuditEntry(staff_id=staff_id, action="takeout", target=target[:128]))
