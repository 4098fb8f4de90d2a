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


Panel = tuple[str, Space | None]  # a whole panel to re-render: its name (and its space)


def panel_keys(view: View) -> list[Panel]:
    """Every live panel (not the timeline or the notes)."""
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
    return [(n, None) for n in names] + [("space", s) for s in view.spaces]


def render(keys, view: View) -> str:
    return "".join(panel(name, view, **({"space": s} if s else {})) for name, s in keys)


def all_panels(view: View) -> str:
    """Every live panel (not the timeline or the notes), as out-of-band swaps."""
    return render(panel_keys(view), view)


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


Changes = tuple[list[Panel], list[str]]  # whole panels to re-render, swaps rendered already


def _changes(event: Recorded, view: View, before: LiveState) -> Changes:
    """What `event` changed on `view.role`'s screen: whole panels (rendered later, once per
    frame, from the newest state) and swaps of single rows (rendered now, from the state
    after this event)."""
    body = event.body
    if isinstance(body, bev.AvatarTracked | bev.AvatarLinked):
        if isinstance(body, bev.AvatarTracked):
            return [("avatars", None)], []
        keys, swaps = _changed_entry(view, before, body)
        return [("avatars", None), *keys], swaps
    match body:
        case ev.DoorsOpened() | ev.MeetupStarted() | ev.MeetupClosed() | ev.WrapUpNoticed():
            return panel_keys(view), []
        case ev.StaffOnDuty() | ev.StaffPostChanged() | ev.StaffOffDuty():
            posted = [("posted", s) for s in view.spaces]
            return [("status", None), ("staff_panel", None), ("compliance", None), *posted], []
        case cev.ConsultationRequested() | cev.ConsultationCancelled():
            return [("consultation", None)], []
        case cev.ConsultationStarted(participant_id=pid):
            return _moved(view, pid, Space.CONSULTATION, [("consultation", None)])
        case cev.ConsultationEnded(participant_id=pid, to_space=dst):
            return _moved(view, pid, dst, [("consultation", None)])
        case cev.ConsultationRecordSaved(participant_id=pid, complete=True):
            # Its follow-up tick makes a follow-up: the row's reminder, if they are still here.
            return [], _person_row(view, pid) if pid in view.state.present else []
        case cev.ConsultationRecordSaved() | cev.HandoffPrepared():
            return [], []
        case cev.HandoffConfirmed() | cev.PhoneHandoffRecorded():
            return [("status", None)], []
        case ev.ParticipantEntered():
            return _changed_entry(view, before, body)
        case ev.ParticipantMoved(participant_id=pid, to_space=dst):
            # Leaving the consultation space frees the participant's room.
            concerns = _consultation_concerns(pid, before)
            return _moved(view, pid, dst, [("consultation", None)] if concerns else [])
        case ev.ParticipantMarked(participant_id=pid):
            return [], _person_row(view, pid)
        case ev.ParticipantLeft(participant_id=pid) | mev.ForcedExit(participant_id=pid):
            forced = isinstance(body, mev.ForcedExit)
            moderation = forced or _moderation_concerns(pid, before, view)
            keys = [
                ("status", None),
                ("absent", None),
                *([("moderation", None)] if moderation else []),
                *([("consultation", None)] if _consultation_concerns(pid, before) else []),
                *_counts(view, before, pid),
            ]
            return keys, [_delete_person(view, pid)]
        case mev.WarningGiven(participant_id=pid):
            return [("moderation", None), ("status", None)], _person_row(view, pid)
        case mev.FlagRaised() | mev.FlagDismissed() | mev.IncidentRecorded() | iev.GateRefused():
            return [("moderation", None), ("status", None)], []
        case mev.EntryRefused():
            return [("moderation", None)], []
        case mev.ParticipantBlocked() | mev.ParticipantUnblocked():
            return [("moderation", None), ("absent", None)], []
    return [], []


def _person_row(view: View, pid: int) -> list[str]:
    return [panel("person", view, presence=view.state.present[pid])] if view.names else []


def _changed_entry(view: View, before: LiveState, body: ev.ParticipantEntered) -> Changes:
    pid, space = body.participant_id, body.space
    moderation = [("moderation", None)] if _moderation_concerns(pid, before, view) else []
    keys = [("status", None), ("absent", None), ("count", Space(space)), *moderation]
    return keys, [_append_person(view, pid, space)]


def _counts(view: View, before: LiveState, pid: int) -> list[Panel]:
    """The count of the space the participant was in (every count if they were unknown)."""
    was = before.present.get(pid)
    return [("count", Space(was.space))] if was else [("count", s) for s in view.spaces]


def _moved(view: View, pid: int, dst: str, keys: list[Panel]) -> Changes:
    """A participant changed space: their row moves (with whatever is open or typed in it)
    and the status bar and every count follow. All four counts are re-sent: the source
    space is not always known (a consultation's)."""
    counts = [("count", s) for s in view.spaces]
    return [*keys, ("status", None), *counts], [_move_person(view, pid, dst)]


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


def events_frame(steps: list[tuple[Recorded, View, LiveState]], final: View) -> str:
    """One websocket message telling `final.role` about several events committed together:
    for each (event, view after it, state before it) in order, the rows it moved, its
    timeline line, note, spoken cue and `#live-seq`; then every whole panel any of them
    changed, rendered once from the newest state (`final`), and the newest `#live-seq`. A
    panel swap replaces the whole panel, so only the last one would count anyway; coming
    after the rows' swaps, it also settles them.
    """
    parts: list[str] = []
    keys: dict[Panel, None] = {}  # in order, each once
    for event, view, before in steps:
        changed, swaps = _changes(event, view, before)
        if _candidates_changed(event, view, before):
            changed.append(("avatars", None))
        if view.kind == MeetupKind.FAMILY_CLASS and event.type in WORKSHOP_CHANGES:
            changed += [("workshop", None), ("compliance", None)]
        keys.update(dict.fromkeys(changed))
        parts += swaps
        parts.append(_prepend("timeline-list", timeline_items([event], view)))
        parts.append(_prepend("notes-list", note_items([event], view)))
        parts.append(cue(event, view, before))
        parts.append(seq_marker(event.seq))
    last = parts.pop()  # the newest `#live-seq` ends the message, as in every frame
    return "".join(parts) + render(keys, final) + last


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
