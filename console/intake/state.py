"""Fold steps of intake events."""

from dataclasses import replace

from console.intake import events as ev
from console.live.events import Recorded
from console.session.state import LiveState


def apply_intake(state: LiveState, event: Recorded) -> LiveState:
    body = event.body
    match body:
        case ev.GateRefused(participant_id=pid, reason=reason):
            refusal = (pid, reason, event.at)
            return replace(state, gate_refusals=(*state.gate_refusals, refusal))
    raise TypeError(f"no intake fold for {body.type}")


FOLDS = dict.fromkeys((kind.type for kind in ev.EVENTS), apply_intake)
