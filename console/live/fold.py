"""Live state as a pure fold of the log: `apply(state, event) -> state`.

`apply` never mutates `state`; it returns a new value. That lets a command validate against a
snapshot in a worker thread while the event loop keeps serving the current one, and it makes
"stale state + new events == fresh fold" testable. Each domain registers the fold steps of its
own event kinds; this module only checks the order and runs them.
"""

from collections.abc import Iterable
from dataclasses import replace

from console.live.events import Recorded
from console.live.registry import State, current


class OutOfOrder(Exception):
    """An event was applied to a state that is not exactly one seq behind it."""


def apply(state: State, event: Recorded) -> State:
    """The state after `event`. Raises OutOfOrder unless event.seq == state.seq + 1."""
    if event.meetup_id != state.meetup_id or event.seq != state.seq + 1:
        raise OutOfOrder(f"state at {state.seq} cannot take event {event.seq}")
    registry = current()
    step = registry.folds.get(event.body.type)
    if step is None:
        raise TypeError(f"no fold for {event.body.type}")
    state = step(replace(state, seq=event.seq), event)
    for settle in registry.settle:
        state = settle(state)
    return state


def fold(state: State, events: Iterable[Recorded]) -> State:
    for event in events:
        state = apply(state, event)
    return state
