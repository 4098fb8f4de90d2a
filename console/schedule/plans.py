"""What the schedule keeps of a session besides its times: the venue, a family class's lecturer
and theme, and the schedule rules broken with their reason (`SessionPlan`)."""

from collections.abc import Iterable, Mapping

from sqlmodel import Session, col, select

from console.core import forms
from console.schedule.models import SessionPlan, StaffExperience
from console.session.vocab import MeetupKind

WARD_FACILITY = "区有施設"
METAVERSE_VENUE = "区が用意するメタバース空間"


def parse_plan(form: Mapping[str, str], kind: str) -> SessionPlan:
    """The plan's fields from the schedule form (refused when too long). An in-person drop-in or
    a family class is held in a ward facility unless the form names one (spec 6(3), 6(4))."""
    venue = forms.text(form, "venue", label="会場", max_len=100, required=False)
    lecturer = theme = ""
    if kind == MeetupKind.FAMILY_CLASS:
        lecturer = forms.text(form, "lecturer", label="講師", max_len=100, required=False)
        theme = forms.text(form, "theme", label="テーマ・内容", max_len=200, required=False)
    default = METAVERSE_VENUE if kind == MeetupKind.METAVERSE else WARD_FACILITY
    return SessionPlan(meetup_id=0, venue=venue or default, lecturer=lecturer, theme=theme)


def plans_of(db: Session, meetup_ids: Iterable[int]) -> dict[int, SessionPlan]:
    """meetup id -> its plan (sessions made before plans were kept have none)."""
    ids = sorted(set(meetup_ids))
    if not ids:
        return {}
    rows = db.exec(select(SessionPlan).where(col(SessionPlan.meetup_id).in_(ids)))
    return {p.meetup_id: p for p in rows}


def plan_of(db: Session, meetup_id: int) -> SessionPlan | None:
    return db.get(SessionPlan, meetup_id)


def experienced_staff(db: Session) -> frozenset[int]:
    """Staff with experience supporting people in hikikomori (spec 7(2))."""
    query = select(StaffExperience.staff_id).where(StaffExperience.hikikomori_experience)
    return frozenset(db.exec(query))
