"""A meetup's status: scheduled → doors open → in session → closed, set by the manager."""

from collections.abc import Mapping

from sqlmodel import Session

from console import events as ev
from console import forms
from console.eventlog import Decide, Refused
from console.models import Staff
from console.state import LiveState
from console.vocab import MeetupStatus

REASON_MAX = 200


def _reason(form: Mapping[str, str]) -> str:
    return forms.text(form, "reason", label="理由", max_len=REASON_MAX, required=False)


def open_doors(form: Mapping[str, str], actor: Staff) -> Decide:
    reason = _reason(form)

    def decide(db: Session, state: LiveState) -> ev.Body:
        if state.status != MeetupStatus.SCHEDULED:
            raise Refused(
                f"現在の状態({MeetupStatus(state.status).label})では入室受付を開始できません。"
            )
        return ev.DoorsOpened(reason=reason)

    return decide


def start(form: Mapping[str, str], actor: Staff) -> Decide:
    reason = _reason(form)

    def decide(db: Session, state: LiveState) -> ev.Body:
        if state.status not in (MeetupStatus.SCHEDULED, MeetupStatus.DOORS_OPEN):
            raise Refused(f"現在の状態({MeetupStatus(state.status).label})では開始できません。")
        return ev.MeetupStarted(reason=reason)

    return decide


def close(form: Mapping[str, str], actor: Staff) -> Decide:
    reason = _reason(form)

    def decide(db: Session, state: LiveState) -> ev.Body:
        if not state.is_open:
            raise Refused(f"現在の状態({MeetupStatus(state.status).label})では終了できません。")
        return ev.MeetupClosed(reason=reason)

    return decide
