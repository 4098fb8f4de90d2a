"""Whether each complete record reached the helpline: shared (by email once a second person
confirmed the recipient, or by phone), marked 「共有不要」 with a reason, or neither."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from console.consultations.models import ConsultationRecord, Handoff, RecordSharing


@dataclass(frozen=True)
class Shared:
    method: str  # email | phone
    at: datetime


@dataclass(frozen=True)
class Sharing:
    """A record's state towards the helpline, as the pages show it."""

    shared: Shared | None
    consent_required: bool
    waived_at: datetime | None = None
    waived_reason: str | None = None


def _done():
    """Handoffs that count as shared: a confirmed email, or a phone call."""
    return or_(Handoff.method == "phone", col(Handoff.confirmed_at).is_not(None))


def shared(db: Session, record_id: int) -> Shared | None:
    return _handoffs(db, [record_id]).get(record_id)


def consent_required(db: Session, record_id: int) -> bool:
    policy = db.get(RecordSharing, record_id)
    return policy is None or policy.consent_required


def _handoffs(db: Session, record_ids: list[int]) -> dict[int, Shared]:
    """The first completed handoff of each record that has one."""
    found: dict[int, Shared] = {}
    rows = db.exec(
        select(Handoff).where(col(Handoff.record_id).in_(record_ids), _done()).order_by(Handoff.id)
    )
    for handoff in rows:
        at = handoff.called_at if handoff.method == "phone" else handoff.confirmed_at
        found.setdefault(handoff.record_id, Shared(handoff.method, at))
    return found


def sharing(db: Session, record_ids: list[int]) -> dict[int, Sharing]:
    handoffs = _handoffs(db, record_ids)
    policies = {
        p.record_id: p
        for p in db.exec(select(RecordSharing).where(col(RecordSharing.record_id).in_(record_ids)))
    }
    found = {}
    for record_id in record_ids:
        policy = policies.get(record_id)
        found[record_id] = Sharing(
            shared=handoffs.get(record_id),
            consent_required=policy is None or policy.consent_required,
            waived_at=policy.waived_at if policy else None,
            waived_reason=policy.waived_reason if policy else None,
        )
    return found


def unshared_count(db: Session, *, completed_before: datetime) -> int:
    """Complete records finished before `completed_before`, neither shared nor marked
    「共有不要」."""
    finished = func.coalesce(RecordSharing.completed_at, ConsultationRecord.updated_at)
    reached = select(Handoff.record_id).where(_done())
    return db.exec(
        select(func.count())
        .select_from(ConsultationRecord)
        .outerjoin(RecordSharing, RecordSharing.record_id == ConsultationRecord.id)
        .where(
            col(ConsultationRecord.complete).is_(True),
            finished < completed_before,
            col(RecordSharing.waived_at).is_(None),
            col(ConsultationRecord.id).not_in(reached),
        )
    ).one()
