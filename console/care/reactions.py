"""What care does when something happens in a session, in the same transaction as the event:
a completed consultation record with its follow-up ticked makes a follow-up for its counsellor;
a forced exit makes a follow-up for the manager and a block decision that stays pending until
the manager decides; a block decides every pending decision about that participant."""

from datetime import timedelta

from sqlmodel import Session, col, select

from console import settings
from console.care.models import BlockDecision, FollowUp
from console.care.vocab import Why
from console.consultations.models import ConsultationRecord
from console.live.events import Recorded
from console.session.state import LiveState


def _due(event: Recorded):
    return event.at.astimezone(settings.TZ).date() + timedelta(days=settings.FOLLOW_UP_DAYS)


def _once(db: Session, follow_up: FollowUp) -> None:
    if db.exec(select(FollowUp.id).where(FollowUp.source == follow_up.source)).first() is None:
        db.add(follow_up)


def after_record(db: Session, event: Recorded, before: LiveState) -> None:
    if not event.body.complete:
        return
    record = db.get(ConsultationRecord, event.body.record_id)
    if record is None or not record.follow_up:
        return
    _once(
        db,
        FollowUp(
            participant_id=record.participant_id,
            why=Why.CONSULTATION,
            source=f"record:{record.id}",
            task=f"相談記録 C-{record.id} の相談後フォローアップ(連絡・状況確認)",
            owner_id=record.counsellor_id,
            due=_due(event),
            created_at=event.at,
            created_by=event.actor_id,
        ),
    )


def after_forced_exit(db: Session, event: Recorded, before: LiveState) -> None:
    pid = event.body.participant_id
    db.add(
        BlockDecision(
            participant_id=pid, meetup_id=event.meetup_id, exit_seq=event.seq, exited_at=event.at
        )
    )
    if event.actor_id is not None:
        _once(
            db,
            FollowUp(
                participant_id=pid,
                why=Why.FORCED_EXIT,
                source=f"exit:{event.meetup_id}:{event.seq}",
                task="強制退室後の状況確認(本人への連絡・次回参加についての説明)",
                owner_id=event.actor_id,
                due=_due(event),
                created_at=event.at,
                created_by=event.actor_id,
            ),
        )


def after_block(db: Session, event: Recorded, before: LiveState) -> None:
    pending = db.exec(
        select(BlockDecision).where(
            BlockDecision.participant_id == event.body.participant_id,
            col(BlockDecision.decided_at).is_(None),
        )
    )
    for decision in pending:
        decision.decided_at, decision.decided_by, decision.blocked = (
            event.at,
            event.actor_id,
            True,
        )
        decision.reason = event.body.reason
        db.add(decision)
