"""The board the live engine renders: what `console.live.registry.Board` asks for.

The hub knows no domain; it asks this object for names, views and frames.
"""

from sqlmodel import Session

from console.board import frames
from console.board.view import Directory, View
from console.consultations import events as cev
from console.live import eventlog
from console.live.events import Recorded
from console.live.models import Meetup
from console.moderation import events as mev
from console.session import events as ev
from console.session.state import LiveState

RECENT = 50  # timeline lines and notes shown on a fresh page or a resync
# Events after which names or markers shown beside them may have changed.
DIRECTORY_CHANGES = {
    mev.WarningGiven.type,
    mev.ForcedExit.type,  # a block decision is now pending
    mev.ParticipantBlocked.type,
    mev.ParticipantUnblocked.type,
    cev.ConsultationRecordSaved.type,  # a completed record may have made a follow-up
}


class LiveBoard:
    directory = staticmethod(Directory.load)
    events_frame = staticmethod(frames.events_frame)
    replay_frame = staticmethod(frames.replay_frame)
    resync_frame = staticmethod(frames.resync_frame)
    all_panels = staticmethod(frames.all_panels)

    @staticmethod
    def view(meetup: Meetup, state: LiveState, role: str, directory: Directory) -> View:
        return View(meetup, state, role, directory)

    @staticmethod
    def changes_names(event: Recorded, directory: Directory) -> bool:
        """True when `event` needs names the directory lacks, or changes markers it holds."""
        body = event.body
        if body.type in DIRECTORY_CHANGES:
            return True
        people = [getattr(body, "participant_id", None)]
        staff = [
            event.actor_id,
            getattr(body, "staff_id", None),
            getattr(body, "counsellor_id", None),
        ]
        return any(p is not None and p not in directory.participants for p in people) or any(
            s is not None and s not in directory.staff for s in staff
        )

    @staticmethod
    def history(db: Session, meetup_id: int, upto: int) -> tuple[list[Recorded], list[Recorded]]:
        """The newest timeline events and the newest staff notes up to `upto`, newest first."""
        timeline = eventlog.recent(db, meetup_id, upto=upto, limit=RECENT)
        notes = eventlog.recent(
            db, meetup_id, upto=upto, limit=RECENT, type_=ev.StaffNotePosted.type
        )
        return timeline, notes


BOARD = LiveBoard()
