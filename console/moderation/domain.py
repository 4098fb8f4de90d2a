"""What moderation hands the live engine."""

from console.live.registry import Domain
from console.moderation import events as ev
from console.moderation.commands import COMMANDS, ENTRY_REFUSED, refuse_blocked_entry
from console.moderation.state import FOLDS
from console.session import events as sev

DOMAIN = Domain(
    name="moderation",
    events=ev.EVENTS,
    folds=FOLDS,
    commands=COMMANDS,
    guards={sev.ParticipantEntered.type: (refuse_blocked_entry,)},
    refusals={ev.EntryRefused.type: ENTRY_REFUSED},
)
