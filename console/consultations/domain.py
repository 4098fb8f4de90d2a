"""What consultations hand the live engine. A consultation ends with its participant: leaving,
a forced exit and the close each end the record of a consultation still open."""

from console.consultations import events as ev
from console.consultations.commands import (
    COMMANDS,
    end_open_consultation,
    end_open_consultations,
)
from console.consultations.state import FOLDS, settle_consultations
from console.live.registry import Domain
from console.moderation import events as mev
from console.session import events as sev

DOMAIN = Domain(
    name="consultations",
    events=ev.EVENTS,
    folds=FOLDS,
    settle=(settle_consultations,),
    commands=COMMANDS,
    reactions={
        sev.ParticipantLeft.type: (end_open_consultation,),
        mev.ForcedExit.type: (end_open_consultation,),
        sev.MeetupClosed.type: (end_open_consultations,),
    },
)
