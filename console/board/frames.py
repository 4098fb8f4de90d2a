"""The live page's panels and frames: each panel has one template and a stable id.

The same template renders a panel inside the full page and as an out-of-band swap. A frame
(one websocket message) is rendered once per role for each event and shared by every socket
of that role. The board is where the domains meet: moderation's, consultations' and the
schedule's panels sit beside the session's own.

Panels are swapped with `hx-swap-oob="morph"` (idiomorph, through the `morph` extension in
`static/console.js`): the browser keeps every element that is still there, so what a person
typed, a menu they opened, focus and scroll survive. Still, a frame carries only the panels
the event changed, judged against the state before it (`before`).
"""

from console.board.cues import cue
from console.board.timeline import note_items, timeline_items
from console.board.view import View
from console.bridge import events as bev
from console.bridge.state import unconfirmed
from console.consultations import events as cev
from console.core.templating import templates
from console.intake import events as iev
from console.live.events import Recorded
from console.moderation import events as mev
from console.session import events as ev
from console.session.state import LiveState
from console.session.vocab import MeetupKind, Space
from console.workshop import events as wev

PANELS = {
    "status": "board/fragments/status.html",
    "lifecycle": "board/fragments/lifecycle.html",
    "staff_panel": "board/fragments/staff_panel.html",
    "absent": "board/fragments/absent.html",
    "space": "board/fragments/space.html",
    "count": "board/fragments/count.html",
    "posted": "board/fragments/posted.html",
    "person": "board/fragments/person.html",
    "compliance": "schedule/fragments/compliance.html",
    "moderation": "moderation/fragments/moderation.html",
    "consultation": "consultations/fragments/consultation.html",
    "avatars": "bridge/fragments/avatars.html",
    "workshop": "workshop/fragments/groups.html",
}
# Events after which a family class's workshop panel may show something else: its own, and
# who is present or on duty (the panel's choices).
WORKSHOP_CHANGES = {
    *(kind.type for kind in wev.EVENTS),
    ev.StaffOnDuty.type,
    ev.StaffOffDuty.type,
    ev.ParticipantEntered.type,
    ev.ParticipantLeft.type,
    mev.ForcedExit.type,
}


def panel(name: str, view: View, *, oob: bool = True, **extra) -> str:
    return templates.get_template(PANELS[name]).render(view.context(oob=oob, **extra))


def _prepend(list_id: str, items: str) -> str:
    return f'<ol hx-swap-oob="afterbegin:#{list_id}">{items}</ol>' if items else ""


def seq_marker(seq: int) -> str:
    return f'<div id="live-seq" data-seq="{seq}" hx-swap-oob="true" hidden></div>'


def all_panels(view: View) -> str:
    """Every live panel (not the timeline or the notes), as out-of-band swaps."""
    names = [
        "status",
        "lifecycle",
        "compliance",
        "staff_panel",
        "absent",
        "moderation",
        "consultation",
        "avatars",
    ]
    if view.kind == MeetupKind.FAMILY_CLASS:
        names.append("workshop")
    parts = [panel(n, view) for n in names]
    parts += [panel("space", view, space=s) for s in view.spaces]
    return "".join(parts)


def _moderation_concerns(pid: int, before: LiveState, view: View) -> bool:
    """The moderation panel shows this participant: an open flag (whose forms depend on
    their presence) or a forced exit this session (whose block form does)."""
    after = view.state
    flagged = any(f.participant_id == pid for s in (before, after) for f in s.open_flags.values())
    return flagged or any(p == pid for p, _ in after.forced_exits)


def _consultation_concerns(pid: int, before: LiveState) -> bool:
    """The consultation panel shows this participant: waiting in the queue or in a room."""
    waiting = any(w.participant_id == pid for w in before.queue.values())
    return waiting or before.room_of(pid) is not None


def _changed_panels(event: Recorded, view: View, before: LiveState) -> list[str]:
    body = event.body
    if isinstance(body, bev.AvatarTracked | bev.AvatarLinked):
        others = [] if isinstance(body, bev.AvatarTracked) else _changed_entry(view, before, body)
        return [panel("avatars", view), *others]
    match body:
        case ev.DoorsOpened() | ev.MeetupStarted() | ev.MeetupClosed() | ev.WrapUpNoticed():
            return [all_panels(view)]
        case ev.StaffOnDuty() | ev.StaffPostChanged() | ev.StaffOffDuty():
            posted = [panel("posted", view, space=s) for s in view.spaces]
            return [
                panel("status", view),
                panel("staff_panel", view),
                panel("compliance", view),
                *posted,
            ]
        case cev.ConsultationRequested() | cev.ConsultationCancelled():
            return [panel("consultation", view)]
        case cev.ConsultationStarted(participant_id=pid):
            return [panel("consultation", view), *_moved(view, pid, Space.CONSULTATION)]
        case cev.ConsultationEnded(participant_id=pid, to_space=dst):
            return [panel("consultation", view), *_moved(view, pid, dst)]
        case cev.ConsultationRecordSaved() | cev.HandoffPrepared():
            return []
        case cev.HandoffConfirmed() | cev.PhoneHandoffRecorded():
            return [panel("status", view)]
        case ev.ParticipantEntered():
            return _changed_entry(view, before, body)
        case ev.ParticipantMoved(participant_id=pid, to_space=dst):
            # Leaving the consultation space frees the participant's room.
            consultation = (
                [panel("consultation", view)] if _consultation_concerns(pid, before) else []
            )
            return [*consultation, *_moved(view, pid, dst)]
        case ev.ParticipantMarked(participant_id=pid):
            if not view.names:
                return []
            return [panel("person", view, presence=view.state.present[pid])]
        case ev.ParticipantLeft(participant_id=pid) | mev.ForcedExit(participant_id=pid):
            forced = isinstance(body, mev.ForcedExit)
            moderation = forced or _moderation_concerns(pid, before, view)
            return [
                panel("status", view),
                panel("absent", view),
                *([panel("moderation", view)] if moderation else []),
                *([panel("consultation", view)] if _consultation_concerns(pid, before) else []),
                _delete_person(view, pid),
                *_counts(view, before, pid),
            ]
        case mev.WarningGiven(participant_id=pid):
            row = [panel("person", view, presence=view.state.present[pid])] if view.names else []
            return [panel("moderation", view), panel("status", view), *row]
        case mev.FlagRaised() | mev.FlagDismissed() | mev.IncidentRecorded() | iev.GateRefused():
            return [panel("moderation", view), panel("status", view)]
        case mev.EntryRefused():
            return [panel("moderation", view)]
        case mev.ParticipantBlocked() | mev.ParticipantUnblocked():
            return [panel("moderation", view), panel("absent", view)]
    return []


def _changed_entry(view: View, before: LiveState, body: ev.ParticipantEntered) -> list[str]:
    pid, space = body.participant_id, body.space
    moderation = [panel("moderation", view)] if _moderation_concerns(pid, before, view) else []
    return [
        panel("status", view),
        panel("absent", view),
        panel("count", view, space=Space(space)),
        _append_person(view, pid, space),
        *moderation,
    ]


def _counts(view: View, before: LiveState, pid: int) -> list[str]:
    """The count of the space the participant was in (every count if they were unknown)."""
    was = before.present.get(pid)
    spaces = [Space(was.space)] if was else list(view.spaces)
    return [panel("count", view, space=s) for s in spaces]


def _moved(view: View, pid: int, dst: str) -> list[str]:
    """A participant changed space: their row moves (with whatever is open or typed in it)
    and the status bar and every count follow. All four counts are re-sent: the source
    space is not always known (a consultation's)."""
    return [
        panel("status", view),
        _move_person(view, pid, dst),
        *[panel("count", view, space=s) for s in view.spaces],
    ]


def _append_person(view: View, pid: int, space: str) -> str:
    if not view.names:
        return ""
    row = panel("person", view, oob=False, presence=view.state.present[pid])
    return f'<ul hx-swap-oob="beforeend:#people-{space}">{row}</ul>'


def _move_person(view: View, pid: int, space: str) -> str:
    """The `move` swap (console.js) moves the existing row to the end of the list and
    morphs it; a screen without the row appends it."""
    if not view.names:
        return ""
    row = panel("person", view, oob=False, presence=view.state.present[pid])
    return f'<ul hx-swap-oob="move:#people-{space}">{row}</ul>'


def _delete_person(view: View, pid: int) -> str:
    return f'<li id="person-{pid}" hx-swap-oob="delete"></li>' if view.names else ""


def _candidates_changed(event: Recorded, view: View, before: LiveState) -> bool:
    """Someone entered or left while avatars wait to be confirmed: whom they may be changed."""
    body = event.body
    presence = ev.ParticipantEntered | ev.ParticipantLeft | mev.ForcedExit
    if not isinstance(body, presence) or isinstance(body, bev.AvatarLinked):
        return False
    return bool(view.unconfirmed() or unconfirmed(before))


def event_frame(event: Recorded, view: View, before: LiveState) -> str:
    """One websocket message telling `view.role` about `event`; `view.state` is the state
    after it, `before` the state before it."""
    parts = _changed_panels(event, view, before)
    if _candidates_changed(event, view, before):
        parts.append(panel("avatars", view))
    if view.kind == MeetupKind.FAMILY_CLASS and event.type in WORKSHOP_CHANGES:
        parts += [panel("workshop", view), panel("compliance", view)]
    parts.append(_prepend("timeline-list", timeline_items([event], view)))
    parts.append(_prepend("notes-list", note_items([event], view)))
    parts.append(cue(event, view, before))
    parts.append(seq_marker(event.seq))
    return "".join(parts)


def replay_frame(event: Recorded, view: View) -> str:
    """A missed event re-sent on resume: its timeline line and note; panels follow at the end.
    No spoken cue: a screen catching up would read out a burst of old news."""
    parts = [
        _prepend("timeline-list", timeline_items([event], view)),
        _prepend("notes-list", note_items([event], view)),
        seq_marker(event.seq),
    ]
    return "".join(parts)


def resync_frame(view: View, timeline: list[Recorded], notes: list[Recorded]) -> str:
    """Whole panels, timeline and notes (newest first), for a client too far behind to replay."""
    timeline = timeline_items(timeline, view)
    notes = note_items(notes, view)
    lists = templates.get_template("board/fragments/timeline.html").render(
        timeline_html=timeline, oob=True
    ) + templates.get_template("board/fragments/notes.html").render(notes_html=notes, oob=True)
    return all_panels(view) + lists + seq_marker(view.state.seq)
