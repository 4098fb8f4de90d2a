"""The fold steps of the workshop's events: the groups in `LiveState.groups`."""

from dataclasses import replace

from console.live.events import Recorded
from console.session.state import Group, LiveState
from console.workshop import events as ev


def _with(state: LiveState, group: Group) -> LiveState:
    return replace(state, groups={**state.groups, group.name: group})


def apply_workshop(state: LiveState, event: Recorded) -> LiveState:
    body = event.body
    match body:
        case ev.GroupOpened(group=name):
            return _with(state, Group(name=name))
        case ev.FacilitatorPosted(group=name, staff_id=sid):
            return _with(state, replace(state.groups[name], facilitator=sid))
        case ev.MemberPosted(group=name, participant_id=pid):
            groups = {
                n: replace(g, members=tuple(p for p in g.members if p != pid))
                if pid in g.members
                else g
                for n, g in state.groups.items()
            }
            target = groups[name]
            groups[name] = replace(target, members=(*target.members, pid))
            return replace(state, groups=groups)
        case ev.TurnTaken(group=name, participant_id=pid):
            group = state.groups[name]
            return _with(state, replace(group, spoke=group.spoke | {pid}))
        case ev.TurnUndone(group=name, participant_id=pid):
            group = state.groups[name]
            return _with(state, replace(group, spoke=group.spoke - {pid}))
        case ev.GroupClosed(group=name):
            return _with(state, replace(state.groups[name], open=False))
    raise TypeError(f"no workshop fold for {body.type}")


FOLDS = dict.fromkeys((kind.type for kind in ev.EVENTS), apply_workshop)
