"""Facilitation history (spec 6(4)⑥): how many workshops each staff member has facilitated —
the sessions in the log where they were posted to a group, plus the number entered for their
experience before the console (`StaffExperience.prior_facilitations`)."""

from dataclasses import dataclass

from sqlmodel import Session, select

from console.live.eventlog import recorded
from console.live.models import EventRow
from console.schedule.models import StaffExperience
from console.security.models import Staff
from console.security.roles import Qualification
from console.workshop import events as ev

REQUIRED_FACILITATIONS = 5


def facilitations(db: Session, *, except_meetup: int | None = None) -> dict[int, int]:
    """staff id -> workshops facilitated: distinct sessions in the log (but `except_meetup`,
    the one under way) plus the prior number on record."""
    rows = db.exec(select(EventRow).where(EventRow.type == ev.FacilitatorPosted.type))
    sessions: dict[int, set[int]] = {}
    for row in rows:
        if row.meetup_id != except_meetup:
            sessions.setdefault(recorded(row).body.staff_id, set()).add(row.meetup_id)
    counts = {sid: len(meetups) for sid, meetups in sessions.items()}
    for prior in db.exec(select(StaffExperience)):
        counts[prior.staff_id] = counts.get(prior.staff_id, 0) + prior.prior_facilitations
    return counts


@dataclass(frozen=True)
class Fitness:
    """Whether a facilitator meets spec 6(4)⑥: a qualification of 7(1) and at least five
    prior facilitations. `warning` is the Japanese line staff read when not."""

    qualified: bool
    facilitations: int

    @property
    def fit(self) -> bool:
        return self.qualified and self.facilitations >= REQUIRED_FACILITATIONS

    @property
    def warning(self) -> str:
        missing = []
        if not self.qualified:
            missing.append("仕様7(1)の資格なし")
        if self.facilitations < REQUIRED_FACILITATIONS:
            missing.append(f"実施経験{self.facilitations}回(5回以上必要)")
        return "" if not missing else "要件未充足: " + "・".join(missing)


def fitness(staff: Staff, count: int) -> Fitness:
    q = Qualification.parse(staff.qualification)
    return Fitness(qualified=bool(q and q.qualified), facilitations=count)
