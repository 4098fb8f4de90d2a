"""Reads of care's tables, each a function of the database and the day it is asked about (the
caller's clock), so a page can be asked "as of" another day."""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from console.care.models import BlockDecision, FollowUp, SupportPlan
from console.care.vocab import PlanStatus
from console.security.models import Staff
from console.security.roles import Role
from console.session.models import Participant


@dataclass(frozen=True)
class Counts:
    """What anyone may see of care, the ward included: numbers, no person."""

    open: int
    overdue: int
    pending_blocks: int
    active_plans: int


def _open():
    return (
        select(FollowUp, Participant)
        .join(Participant, Participant.id == FollowUp.participant_id)
        .where(col(FollowUp.done_at).is_(None))
    )


def mine(db: Session, staff_id: int) -> list[tuple[FollowUp, Participant]]:
    """A staff member's open follow-ups, soonest due first."""
    query = _open().where(FollowUp.owner_id == staff_id)
    return list(db.exec(query.order_by(col(FollowUp.due), col(FollowUp.id))).all())


def overdue(db: Session, *, today: dt.date) -> list[tuple[FollowUp, Participant]]:
    """Every open follow-up due before `today`, longest overdue first."""
    query = _open().where(col(FollowUp.due) < today)
    return list(db.exec(query.order_by(col(FollowUp.due), col(FollowUp.id))).all())


def due_by(db: Session, staff_id: int, *, today: dt.date) -> int:
    """How many of a staff member's open follow-ups are due today or earlier (the reminder)."""
    return db.exec(
        select(func.count())
        .select_from(FollowUp)
        .where(
            FollowUp.owner_id == staff_id,
            col(FollowUp.done_at).is_(None),
            col(FollowUp.due) <= today,
        )
    ).one()


def of_participant(db: Session, participant_id: int) -> list[FollowUp]:
    query = select(FollowUp).where(FollowUp.participant_id == participant_id)
    return list(db.exec(query.order_by(col(FollowUp.done_at).is_not(None), FollowUp.due)).all())


def pending_blocks(db: Session) -> list[tuple[BlockDecision, Participant]]:
    """Forced exits the manager has not yet decided on (block, or not with a reason)."""
    return list(
        db.exec(
            select(BlockDecision, Participant)
            .join(Participant, Participant.id == BlockDecision.participant_id)
            .where(col(BlockDecision.decided_at).is_(None))
            .order_by(BlockDecision.exited_at)
        ).all()
    )


def open_follow_up_dues(db: Session) -> dict[int, dt.date]:
    """Participant -> the earliest due date of their open follow-ups (for the live board)."""
    query = (
        select(FollowUp.participant_id, func.min(FollowUp.due))
        .where(col(FollowUp.done_at).is_(None))
        .group_by(FollowUp.participant_id)
    )
    return dict(db.exec(query).all())


def pending_block_participants(db: Session) -> frozenset[int]:
    pending = select(BlockDecision.participant_id).where(col(BlockDecision.decided_at).is_(None))
    return frozenset(db.exec(pending).all())


def counts(db: Session, *, today: dt.date) -> Counts:
    def count(model, *where) -> int:
        return db.exec(select(func.count()).select_from(model).where(*where)).one()

    undone = col(FollowUp.done_at).is_(None)
    return Counts(
        open=count(FollowUp, undone),
        overdue=count(FollowUp, undone, col(FollowUp.due) < today),
        pending_blocks=count(BlockDecision, col(BlockDecision.decided_at).is_(None)),
        active_plans=count(SupportPlan, SupportPlan.status == PlanStatus.ACTIVE),
    )


def owners(db: Session) -> list[Staff]:
    """Who may own a follow-up: active staff of the operator (not the ward)."""
    query = select(Staff).where(Staff.active == True, Staff.role != Role.WARD)  # noqa: E712
    return list(db.exec(query.order_by(Staff.id)).all())
