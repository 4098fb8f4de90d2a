"""What moderation hands the live engine."""

from console.live.registry import Domain
from console.moderation import events as ev
from console.moderation.commands import COMMANDS, ENTRY_REFUSED, refuse_blocked_entry
from console.moderation.state import FOLDS
from console.security import audit
from console.session import events as sev


def audit_action(db, event, state) -> None:
    """Every moderation action also goes into the audit chain (IDs only), in the same
    transaction as its event."""
    person = getattr(event.body, "participant_id", None)
    target = f"meetup:{event.meetup_id}/seq:{event.seq}"
    audit.record(
        db,
        action=f"moderation.{event.body.type}",
        staff_id=event.actor_id,
        target=f"{target} participant:{person}" if person else target,
    )


DOMAIN = Domain(
    name="moderation",
    events=ev.EVENTS,
    folds=FOLDS,
    commands=COMMANDS,
    guards={sev.ParticipantEntered.type: (refuse_blocked_entry,)},
    refusals={ev.EntryRefused.type: ENTRY_REFUSED},
    reactions={kind.type: (audit_action,) for kind in ev.EVENTS},
)
