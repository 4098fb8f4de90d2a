"""What the intake hands the live engine: the gate's refusals, folded and shown live, and a
guard on every entry — a participant who applied through the intake enters only once the ward
has checked their residency for the session's fiscal year (staff typing an ID at the desk
included). Participants registered by staff directly, with no application, are not affected.
"""

from sqlmodel import Session, select

from console.intake import events as ev
from console.intake.events import GateReason
from console.intake.models import Person
from console.intake.queries import admitted_walk_in, checked_for
from console.intake.state import FOLDS
from console.live.models import Meetup
from console.live.registry import Domain
from console.session import events as sev
from console.session.state import LiveState


def unchecked_entry(db: Session, state: LiveState, entry: sev.ParticipantEntered):
    person = db.exec(select(Person).where(Person.participant_id == entry.participant_id)).first()
    meetup = db.get(Meetup, state.meetup_id)
    if person is None or checked_for(person, meetup) or admitted_walk_in(db, person, meetup):
        return None
    return ev.GateRefused(participant_id=entry.participant_id, reason=GateReason.UNCHECKED)


def _refusal(body: ev.GateRefused) -> str:
    return (
        f"この参加者は入室できません({GateReason(body.reason).label})。管理者の画面に表示しました。"
    )


DOMAIN = Domain(
    name="intake",
    events=ev.EVENTS,
    folds=FOLDS,
    guards={sev.ParticipantEntered.type: (unchecked_entry,)},
    refusals={ev.GateRefused.type: _refusal},
)
