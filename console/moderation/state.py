"""Fold steps of moderation events: open flags, warnings, forced exits, blocks, incidents."""

from dataclasses import asdict, replace

from console.live.events import Recorded
from console.moderation import events as ev
from console.session.state import Flag, LiveState, without


def apply_moderation(state: LiveState, event: Recorded) -> LiveState:
    body = event.body
    match body:
        case ev.FlagRaised():
            flag = Flag(seq=event.seq, at=event.at, actor_id=event.actor_id, **asdict(body))
            return replace(state, open_flags={**state.open_flags, event.seq: flag})
        case ev.FlagDismissed(flag_seq=flag_seq):
            return replace(state, open_flags=without(state.open_flags, flag_seq))
        case ev.WarningGiven(participant_id=pid, flag_seq=flag_seq):
            warnings = {**state.warnings, pid: (*state.warnings.get(pid, ()), event.seq)}
            return replace(state, warnings=warnings, open_flags=without(state.open_flags, flag_seq))
        case ev.ForcedExit(participant_id=pid):
            flags = {k: f for k, f in state.open_flags.items() if f.participant_id != pid}
            return replace(
                state,
                present=without(state.present, pid),
                open_flags=flags,
                forced_exits=(*state.forced_exits, (pid, body.immediate)),
            )
        case ev.ParticipantBlocked():
            return replace(state, blocks=state.blocks + 1)
        case ev.ParticipantUnblocked() | ev.ModerationNoteAdded():
            return state
        case ev.EntryRefused(participant_id=pid):
            return replace(state, refused_entries=(*state.refused_entries, (pid, event.at)))
        case ev.IncidentRecorded(kind=kind):
            return replace(state, incidents=(*state.incidents, (event.seq, kind, event.at)))
    raise TypeError(f"no moderation fold for {body.type}")


FOLDS = dict.fromkeys((kind.type for kind in ev.EVENTS), apply_moderation)
