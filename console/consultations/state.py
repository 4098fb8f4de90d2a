"""Fold steps of consultation events: the queue, the rooms, handoffs."""

from dataclasses import replace

from console.consultations import events as ev
from console.live.events import Recorded
from console.session.state import InRoom, LiveState, Waiting, with_present, without
from console.session.vocab import Space


def apply_consultation(state: LiveState, event: Recorded) -> LiveState:
    body = event.body
    match body:
        case ev.ConsultationRequested(participant_id=pid):
            waiting = Waiting(seq=event.seq, participant_id=pid, since=event.at)
            return replace(state, queue={**state.queue, event.seq: waiting})
        case ev.ConsultationCancelled(request_seq=request_seq):
            return replace(state, queue=without(state.queue, request_seq))
        case ev.ConsultationStarted(request_seq=request_seq, participant_id=pid, room=room):
            in_room = InRoom(
                room=room,
                participant_id=pid,
                counsellor_id=body.counsellor_id,
                since=event.at,
                record_id=body.record_id,
            )
            moved = replace(state.present[pid], space=Space.CONSULTATION, space_since=event.at)
            return replace(
                state,
                queue=without(state.queue, request_seq),
                rooms={**state.rooms, room: in_room},
                present=with_present(state, moved),
                consultations=state.consultations + 1,
            )
        case ev.ConsultationEnded(participant_id=pid, room=room, to_space=space):
            moved = replace(state.present[pid], space=space, space_since=event.at)
            return replace(
                state, rooms=without(state.rooms, room), present=with_present(state, moved)
            )
        case ev.ConsultationRecordSaved() | ev.HandoffPrepared() | ev.ShareWaived():
            return state
        case ev.HandoffConfirmed() | ev.PhoneHandoffRecorded():
            return replace(state, handoffs=state.handoffs + 1)
    raise TypeError(f"no consultation fold for {body.type}")


def settle_consultations(state: LiveState) -> LiveState:
    """Whoever is no longer present leaves the queue; a room is free once its participant
    is no longer in the consultation space (moved, left, forced out, or the meetup closed)."""
    queue = {k: w for k, w in state.queue.items() if w.participant_id in state.present}
    rooms = {
        k: r
        for k, r in state.rooms.items()
        if r.participant_id in state.present
        and state.present[r.participant_id].space == Space.CONSULTATION
    }
    if len(queue) == len(state.queue) and len(rooms) == len(state.rooms):
        return state
    return replace(state, queue=queue, rooms=rooms)


FOLDS = dict.fromkeys((kind.type for kind in ev.EVENTS), apply_consultation)
