"""What care hands the live engine: no events of its own (its changes happen outside a
session, each an audited row), only reactions to the session's events."""

from console.care.reactions import after_block, after_forced_exit, after_record
from console.consultations import events as cev
from console.live.registry import Domain
from console.moderation import events as mev

DOMAIN = Domain(
    name="care",
    reactions={
        cev.ConsultationRecordSaved.type: (after_record,),
        mev.ForcedExit.type: (after_forced_exit,),
        mev.ParticipantBlocked.type: (after_block,),
    },
)
