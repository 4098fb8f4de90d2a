"""A meetup's status: scheduled → doors open → in session → (wrap-up notice) → closed.

The schedule (console/schedule/jobs.py) runs these at their times; the manager can run them by hand,
and must give a reason to do so before the planned time.
"""

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session

from console.core import forms
from console.core.errors import Refused
from console.live.eventlog import Decide
from console.live.models import Meetup
from console.security.models import Staff
from console.session import events as ev
from console.session.state import LiveState
from console.session.vocab import MeetupStatus
from console.store.columns import utcnow

REASON_MAX = 200


def _reason(form: Mapping[str, str]) -> str:
    return forms.text(form, "reason", label="理由", max_len=REASON_MAX, required=False)


def _early(db: Session, state: LiveState, planned: str, reason: str, what: str) -> None:
    meetup = db.get(Meetup, state.meetup_id)
    if not reason and utcnow() < getattr(meetup, planned):
        raise Refused(f"予定時刻より前に{what}ときは、理由を入力してください。")


def _label(state: LiveState) -> str:
    return MeetupStatus(state.status).label


def open_doors(
    form: Mapping[str, str], actor: Staff | None, *, scheduled: datetime | None = None
) -> Decide:
    reason = _reason(form)

    def decide(db: Session, state: LiveState) -> ev.Body:
        if state.status != MeetupStatus.SCHEDULED:
            raise Refused(f"現在の状態({_label(state)})では入室受付を開始できません。")
        if scheduled is None:
            _early(db, state, "doors_at", reason, "入室受付を開始する")
        return ev.DoorsOpened(
            reason=reason, scheduled_at=scheduled.isoformat() if scheduled else ""
        )

    return decide


def start(
    form: Mapping[str, str], actor: Staff | None, *, scheduled: datetime | None = None
) -> Decide:
    reason = _reason(form)

    def decide(db: Session, state: LiveState) -> ev.Body:
        if state.status not in (MeetupStatus.SCHEDULED, MeetupStatus.DOORS_OPEN):
            raise Refused(f"現在の状態({_label(state)})では開始できません。")
        if scheduled is None:
            _early(db, state, "starts_at", reason, "開始する")
        return ev.MeetupStarted(
            reason=reason, scheduled_at=scheduled.isoformat() if scheduled else ""
        )

    return decide


def wrap_up(
    form: Mapping[str, str], actor: Staff | None, *, scheduled: datetime | None = None
) -> Decide:
    def decide(db: Session, state: LiveState) -> ev.Body:
        if not state.is_open:
            raise Refused(f"現在の状態({_label(state)})では終了のお知らせを出せません。")
        if state.wrap_up:
            raise Refused("終了のお知らせはすでに出ています。")
        return ev.WrapUpNoticed(scheduled_at=scheduled.isoformat() if scheduled else "")

    return decide


def close(
    form: Mapping[str, str], actor: Staff | None, *, scheduled: datetime | None = None
) -> Decide:
    reason = _reason(form)

    def decide(db: Session, state: LiveState) -> ev.Body:
        if not state.is_open:
            raise Refused(f"現在の状態({_label(state)})では終了できません。")
        if scheduled is None:
            _early(db, state, "ends_at", reason, "終了する")
        body = ev.MeetupClosed(
            reason=reason, scheduled_at=scheduled.isoformat() if scheduled else ""
        )
        return body

    return decide
