"""What other parts ask of the intake: the current terms, a person's standing for a session."""

from sqlmodel import Session, col, select

from console.intake.models import Application, Person, TermsVersion, fiscal_year_of
from console.intake.vocab import ApplicationStatus, Residency
from console.live.models import Meetup
from console.session.vocab import MeetupKind

ADMITTED = (ApplicationStatus.CONFIRMED, ApplicationStatus.CREDENTIALS_SENT)


def current_terms(db: Session, service: str) -> TermsVersion | None:
    """The newest approved terms of a service: the only ones an applicant may be shown."""
    return db.exec(
        select(TermsVersion)
        .where(TermsVersion.service == service, col(TermsVersion.approved_at).is_not(None))
        .order_by(col(TermsVersion.version).desc())
    ).first()


def checked_for(person: Person, meetup: Meetup) -> bool:
    """The ward confirmed this person's residency for the meetup's fiscal year."""
    return person.residency == Residency.CONFIRMED and person.checked_fiscal_year == fiscal_year_of(
        meetup.date
    )


def application_for(db: Session, person: Person, meetup: Meetup) -> Application | None:
    """The person's admitted application that covers this meetup: the fiscal year's
    registration for metaverse meetups, the session's own application otherwise."""
    query = select(Application).where(
        Application.person_id == person.id,
        Application.service == meetup.kind,
        col(Application.status).in_(ADMITTED),
    )
    if meetup.kind == MeetupKind.METAVERSE:
        query = query.where(Application.fiscal_year == fiscal_year_of(meetup.date))
    else:
        query = query.where(Application.meetup_id == meetup.id)
    return db.exec(query).first()


def admitted_walk_in(db: Session, person: Person, meetup: Meetup) -> bool:
    """The manager admitted this person at reception for this meetup, before the ward's check."""
    return (
        db.exec(
            select(Application).where(
                Application.person_id == person.id,
                Application.meetup_id == meetup.id,
                col(Application.walk_in_reason).is_not(None),
            )
        ).first()
        is not None
    )
