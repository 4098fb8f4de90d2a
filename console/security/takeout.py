"""Take-out records (spec 12(5)(エ)): every download or print of a document holding personal
data is recorded — who, when, what, why, how many records — and listed for the manager.
Documents for the ward or for publication hold no personal data and are not recorded."""

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from console.security import audit
from console.security.models import TakeoutRecord
from console.store.db import transaction

REASON_MAX = 200


def record_takeout(
    engine: Engine, *, staff_id: int, document: str, reason: str, count: int | None = None
) -> None:
    """Record one take-out, with its line in the audit trail, in a transaction of its own
    (before the document is handed over: an attempt is recorded too)."""
    with transaction(engine) as db:
        db.add(
            TakeoutRecord(
                staff_id=staff_id, document=document[:64], reason=reason[:REASON_MAX], count=count
            )
        )
        audit.record(db, action="takeout", staff_id=staff_id, target=document)


def recent(db: Session, *, limit: int) -> list[TakeoutRecord]:
    return list(db.exec(select(TakeoutRecord).order_by(col(TakeoutRecord.id).desc()).limit(limit)))
