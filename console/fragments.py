"""HTML for pages and for the live websocket: each panel has one template and a stable id.

The same template renders a panel inside the full page and as an out-of-band swap. A frame
(one websocket message) is rendered once per role for each event and shared by every socket
of that role.
"""

from dataclasses import dataclass
from datetime import datetime

from jinja2 import pass_context
from markupsafe import Markup
from sqlmodel import Session, col, func, select
from starlette.templating import Jinja2Templates

from console import events as ev
from console.compliance import OnDuty, Rule, check_staffing, unmet_periods, unmet_since
from console.models import Block, EventRow, Meetup, Participant, Staff, utcnow
from console.permissions import Action, allowed
from console.settings import ROOT, TZ
from console.state import LiveState
from console.vocab import (
    FlagReason,
    IncidentKind,
    Mark,
    MeetupKind,
    MeetupStatus,
    Post,
    Qualification,
    Role,
    Space,
)

templates = Jinja2Templates(directory=ROOT / "templates")


def jst(value: datetime | None, fmt: str = "%H:%M") -> str:
    return value.astimezone(TZ).strftime(fmt) if value else ""


WEEKDAYS = "月火水木金土日"


def jst_date(value) -> str:
    return f"{value:%Y年%-m月%-d日}({WEEKDAYS[value.weekday()]})"


@pass_context
def can(context, action: str) -> bool:
    return allowed(context["role"], Action(action))


templates.env.filters["jst"] = jst
templates.env.filters["jst_date"] = jst_date
templates.env.globals.update(
    can=can,
    Space=Space,
    Post=Post,
    Mark=Mark,
    MeetupStatus=MeetupStatus,
    MeetupKind=MeetupKind,
    Role=Role,
    Qualification=Qualification,
    FlagReason=FlagReason,
    IncidentKind=IncidentKind,
)


@dataclass(frozen=True)
class Directory:
    """Names to show, looked up when rendering: events and state hold ids only."""

    staff: dict[int, Staff]
    participants: dict[int, Participant]
    past_warnings: dict[int, int]  # participant -> warnings in other meetups
    blocked: frozenset[int]

    @classmethod
    def load(cls, db: Session, meetup_id: int) -> "Directory":
        staff = {s.id: s for s in db.exec(select(Staff))}
        people = {p.id: p for p in db.exec(select(Participant))}
        this = db.get(Meetup, meetup_id)
        past: dict[int, int] = {}
        if this is not None:  # warnings from meetups before this one
            earlier = (Meetup.date < this.date) | (
                (Meetup.date == this.date) & (Meetup.id < this.id)
            )
            past = dict(
                db.exec(
                    select(EventRow.participant_id, func.count())
                    .join(Meetup, Meetup.id == EventRow.meetup_id)
                    .where(EventRow.type == ev.WarningGiven.type, earlier)
                    .group_by(EventRow.participant_id)
                ).all()
            )
        blocked = db.exec(select(Block.participant_id).where(col(Block.lifted_at).is_(None))).all()
        return cls(staff=staff, participants=people, past_warnings=past, blocked=frozenset(blocked))

    def staff_name(self, staff_id: int | None) -> str:
        if staff_id is None:
            return "自動"
        staff = self.staff.get(staff_id)
        return staff.display_name if staff else f"職員#{staff_id}"

    def participant_name(self, participant_id: int) -> str:
        """Callers check the role may see names (`View.names`) before calling this."""
        person = self.participants.get(participant_id)
        return person.display_name if person else "参加者"

    def qualified(self, staff_id: int) -> bool:
        staff = self.staff.get(staff_id)
        q = Qualification.parse(staff.qualification) if staff else None
        return bool(q and q.qualified)


@dataclass(frozen=True)
class View:
    """Everything a template needs to render one role's panels of one meetup."""

    meetup: Meetup
    state: LiveState
    role: str
    directory: Directory

    @property
    def names(self) -> bool:
        return allowed(self.role, Action.VIEW_PARTICIPANT_NAMES)

    def context(self, **extra) -> dict:
        return {"v": self, "role": self.role, "state": self.state, "meetup": self.meetup, **extra}

    def staffing(self) -> dict[str, int]:
        on_duty = [self.directory.staff.get(d.staff_id) for d in self.state.on_duty.values()]
        counsellors = [s for s in on_duty if s and s.role == Role.COUNSELLOR]
        return {
            "total": len(on_duty),
            "counsellors": len(counsellors),
            "qualified": sum(1 for s in counsellors if self.directory.qualified(s.id)),
        }

    @property
    def moderates(self) -> bool:
        return allowed(self.role, Action.VIEW_MODERATION)

    def open_flags(self) -> list:
        return sorted(self.state.open_flags.values(), key=lambda f: f.seq)

    def warnings(self, participant_id: int) -> tuple[int, int]:
        """Warnings to this participant: in this meetup, and in earlier ones."""
        here = len(self.state.warnings.get(participant_id, ()))
        return here, self.directory.past_warnings.get(participant_id, 0)

    def exited(self) -> list[tuple[int, bool]]:
        """Participants forced out in this meetup, in order, each once, and whether any of
        their exits was immediate."""
        immediate: dict[int, bool] = {}
        for pid, was_immediate in self.state.forced_exits:
            immediate[pid] = immediate.get(pid, False) or was_immediate
        return list(immediate.items())

    def _roster(self, duties) -> list[OnDuty]:
        roster = []
        for staff_id, post in duties:
            staff = self.directory.staff.get(staff_id)
            if staff is not None:
                roster.append(
                    OnDuty(staff_id, staff.role, self.directory.qualified(staff_id), post)
                )
        return roster

    def compliance(self) -> list[tuple[Rule, object]]:
        """Each staffing rule of this kind of meetup, and since when it is unmet (or None)."""
        groups = self.meetup.groups if self.meetup.kind == "family_class" else None
        now = [(d.staff_id, d.post) for d in self.state.on_duty.values()]
        rules = check_staffing(self.meetup.kind, self._roster(now), groups=groups)
        snapshots = [
            (at, check_staffing(self.meetup.kind, self._roster(duties), groups=groups))
            for at, duties in self._rosters()
        ]
        since = unmet_since(snapshots) if snapshots else {}
        return [(rule, None if rule.met else since.get(rule.code)) for rule in rules]

    def _rosters(self) -> list[tuple[datetime, tuple[tuple[int, str], ...]]]:
        """Who was on duty where, from doors-open on (or every change, before it opens)."""
        history, opened = self.state.duty_history, self.state.opened_at
        if opened is None:
            return list(history)
        at_opening = ([d for at, d in history if at <= opened] or [()])[-1]
        return [(opened, at_opening)] + [(at, d) for at, d in history if at > opened]

    def unmet_periods(self) -> dict[str, list[tuple[datetime, datetime]]]:
        """When each staffing rule was unmet between doors-open and the close (or now)."""
        groups = self.meetup.groups if self.meetup.kind == "family_class" else None
        opened = self.state.opened_at
        if opened is None:
            return {}
        snapshots = [
            (at, check_staffing(self.meetup.kind, self._roster(d), groups=groups))
            for at, d in self._rosters()
        ]
        return unmet_periods(snapshots, until=self.state.closed_at or utcnow())

    def counsellors_present(self) -> tuple[int, int]:
        """Counsellors on duty at any time in this meetup, and the qualified among them."""
        ids = {sid for _at, duties in self.state.duty_history for sid, _post in duties}
        staff = [self.directory.staff[i] for i in ids if i in self.directory.staff]
        counsellors = [s for s in staff if s.role == Role.COUNSELLOR]
        return len(counsellors), sum(1 for s in counsellors if self.directory.qualified(s.id))

    def free_rooms(self) -> list[int]:
        return [r for r in range(1, self.meetup.rooms + 1) if r not in self.state.rooms]

    def hides(self, presence) -> bool:
        """True when this role must not see who is in a consultation room."""
        return presence.space == Space.CONSULTATION and not allowed(
            self.role, Action.VIEW_CONSULTATION_NAMES
        )

    def absent(self) -> list[Participant]:
        people = self.directory.participants.values()
        return sorted((p for p in people if p.id not in self.state.present), key=lambda p: p.code)


def _render(name: str, view: View, **extra) -> str:
    return templates.get_template(name).render(view.context(**extra))


def panel(name: str, view: View, *, oob: bool = True, **extra) -> str:
    return _render(f"fragments/{name}.html", view, oob=oob, **extra)


LATE_SECONDS = 10  # a scheduled transition later than this was caught up after a restart
LIFECYCLE = ev.DoorsOpened | ev.MeetupStarted | ev.MeetupClosed
MODERATION = ev.ForcedExit | ev.ParticipantBlocked | ev.ParticipantUnblocked


def describe(event: ev.Recorded, view: View) -> str | None:
    """One Japanese line for the timeline, or None when this role does not see the event."""
    d = view.directory
    body = event.body

    def who(pid: int) -> str:
        return f"「{d.participant_name(pid)}」さん" if view.names else "参加者"

    match body:
        case ev.DoorsOpened():
            text = "入室受付を開始しました"
        case ev.WrapUpNoticed():
            text = "まもなく終了です(終了のお知らせ)"
        case ev.MeetupStarted():
            text = "開催を開始しました"
        case ev.MeetupClosed():
            text = "開催を終了しました(在室者は終了時刻で退室扱い)"
        case ev.StaffOnDuty(staff_id=sid, post=post):
            text = f"{d.staff_name(sid)}が勤務を開始しました({Post(post).label})"
        case ev.StaffPostChanged(staff_id=sid, post=post):
            text = f"{d.staff_name(sid)}の配置が{Post(post).label}になりました"
        case ev.StaffOffDuty(staff_id=sid):
            text = f"{d.staff_name(sid)}が勤務を終了しました"
        case ev.ParticipantEntered(participant_id=pid, space=space, late=late):
            text = f"{who(pid)}が{Space(space).label}に入室しました" + (
                "(途中参加)" if late else ""
            )
        case ev.ParticipantMoved(participant_id=pid, from_space=src, to_space=dst):
            text = f"{who(pid)}が{Space(src).label}から{Space(dst).label}へ移動しました"
        case ev.ParticipantMarked(participant_id=pid, mark=mark):
            if not view.names:
                return None
            text = f"{who(pid)}を「{Mark(mark).label}」にしました"
        case ev.ParticipantLeft(participant_id=pid):
            text = f"{who(pid)}が退室しました"
        case ev.StaffNotePosted():
            if not allowed(view.role, Action.VIEW_STAFF_NOTES):
                return None
            text = "スタッフメモが投稿されました"
        case ev.ConsultationRequested(participant_id=pid):
            text = f"{who(pid)}が個別相談を希望しました"
        case ev.ConsultationCancelled(participant_id=pid):
            text = f"{who(pid)}の相談希望を取り消しました"
        case ev.ConsultationStarted(room=room, counsellor_id=cid):
            text = f"個別相談室{room}で相談が始まりました(担当: {d.staff_name(cid)})"
        case ev.ConsultationEnded(room=room):
            text = f"個別相談室{room}の相談が終わりました"
        case (
            ev.ConsultationRecordSaved()
            | ev.HandoffPrepared()
            | ev.HandoffConfirmed()
            | ev.PhoneHandoffRecorded()
        ) if not allowed(view.role, Action.READ_RECORD):
            return None
        case ev.ConsultationRecordSaved(record_id=rid, complete=complete):
            text = f"相談記録 C-{rid} を{'完成' if complete else '下書き保存'}しました"
        case ev.HandoffPrepared(record_id=rid):
            text = f"相談記録 C-{rid} の窓口への共有を作成しました(確認待ち)"
        case ev.HandoffConfirmed(record_id=rid):
            text = f"相談記録 C-{rid} の共有の宛先が確認され、送信します"
        case ev.PhoneHandoffRecorded(record_id=rid):
            text = f"相談記録 C-{rid} を電話で窓口に共有しました"
        case ev.ForcedExit(participant_id=pid, immediate=immediate):
            text = f"{who(pid)}が強制退室となりました" + ("(即時)" if immediate else "")
        case ev.IncidentRecorded(kind=kind):
            text = f"事故・トラブルが記録されました({IncidentKind(kind).label})"
        case _ if not view.moderates:
            return None
        case ev.FlagRaised(participant_id=pid, description=desc, reason=reason):
            subject = who(pid) if pid else f"「{desc}」"
            text = f"{subject}について通報がありました({FlagReason(reason).label})"
        case ev.FlagDismissed(reason=reason):
            return f"通報を対応不要として閉じました(理由: {reason})"
        case ev.WarningGiven(participant_id=pid, rule=rule):
            text = f"{who(pid)}に事前通告しました({FlagReason(rule).label})"
        case ev.ParticipantBlocked(participant_id=pid):
            text = f"{who(pid)}をブロックしました"
        case ev.ParticipantUnblocked(participant_id=pid):
            text = f"{who(pid)}のブロックを解除しました"
        case ev.EntryRefused(participant_id=pid):
            text = f"ブロック中の{who(pid)}の入室を拒否しました"
        case ev.ModerationNoteAdded(participant_id=pid):
            text = f"{who(pid)}について対応メモを記録しました"
        case _:
            return None
    reason = getattr(body, "reason", "") if isinstance(body, LIFECYCLE | MODERATION) else ""
    text = f"{text}(理由: {reason})" if reason else text
    planned = getattr(body, "scheduled_at", "")
    if planned and (event.at - datetime.fromisoformat(planned)).total_seconds() > LATE_SECONDS:
        text += (
            f"(予定時刻 {jst(datetime.fromisoformat(planned), '%H:%M:%S')} の処理を再開時に実施)"
        )
    elif planned:
        text += "(予定どおり自動)"
    return text


def timeline_items(events: list[ev.Recorded], view: View) -> Markup:
    return Markup("").join(
        Markup(_render("fragments/timeline_item.html", view, event=e, text=text))
        for e in events
        if (text := describe(e, view)) is not None
    )


def note_items(events: list[ev.Recorded], view: View) -> Markup:
    if not allowed(view.role, Action.VIEW_STAFF_NOTES):
        return Markup("")
    notes = [e for e in events if isinstance(e.body, ev.StaffNotePosted)]
    return Markup("").join(
        Markup(_render("fragments/note_item.html", view, event=e)) for e in notes
    )


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
    ]
    parts = [panel(n, view) for n in names]
    parts += [panel("space", view, space=s) for s in Space]
    return "".join(parts)


def _changed_panels(event: ev.Recorded, view: View) -> list[str]:
    body = event.body
    match body:
        case ev.DoorsOpened() | ev.MeetupStarted() | ev.MeetupClosed() | ev.WrapUpNoticed():
            return [all_panels(view)]
        case ev.StaffOnDuty() | ev.StaffPostChanged() | ev.StaffOffDuty():
            posted = [panel("posted", view, space=s) for s in Space]
            return [
                panel("status", view),
                panel("staff_panel", view),
                panel("compliance", view),
                *posted,
            ]
        case ev.ConsultationRequested() | ev.ConsultationCancelled():
            return [panel("consultation", view)]
        case ev.ConsultationStarted(participant_id=pid):
            return _moved(view, pid, Space.CONSULTATION)
        case ev.ConsultationEnded(participant_id=pid, to_space=dst):
            return _moved(view, pid, dst)
        case ev.ConsultationRecordSaved() | ev.HandoffPrepared():
            return []
        case ev.HandoffConfirmed() | ev.PhoneHandoffRecorded():
            return [panel("status", view)]
        case ev.ParticipantEntered(participant_id=pid, space=space):
            return [
                panel("status", view),
                panel("absent", view),
                panel("count", view, space=Space(space)),
                _append_person(view, pid, space),
            ]
        case ev.ParticipantMoved(participant_id=pid, to_space=dst):
            return _moved(view, pid, dst)
        case ev.ParticipantMarked(participant_id=pid):
            if not view.names:
                return []
            return [panel("person", view, presence=view.state.present[pid])]
        case ev.ParticipantLeft(participant_id=pid) | ev.ForcedExit(participant_id=pid):
            return [
                panel("status", view),
                panel("absent", view),
                panel("moderation", view),
                panel("consultation", view),
                _delete_person(view, pid),
                *[panel("count", view, space=s) for s in Space],
            ]
        case ev.WarningGiven(participant_id=pid):
            row = [panel("person", view, presence=view.state.present[pid])] if view.names else []
            return [panel("moderation", view), *row]
        case ev.FlagRaised() | ev.FlagDismissed() | ev.EntryRefused() | ev.IncidentRecorded():
            return [panel("moderation", view), panel("status", view)]
        case ev.ParticipantBlocked() | ev.ParticipantUnblocked():
            return [panel("moderation", view), panel("absent", view)]
    return []


def _moved(view: View, pid: int, dst: str) -> list[str]:
    """A participant changed space: their row moves, and every count and queue follows.
    All four counts are re-sent: the source space is not always known (a consultation's)."""
    return [
        panel("status", view),
        panel("consultation", view),
        _delete_person(view, pid),
        _append_person(view, pid, dst),
        *[panel("count", view, space=s) for s in Space],
    ]


def _append_person(view: View, pid: int, space: str) -> str:
    if not view.names:
        return ""
    row = panel("person", view, oob=False, presence=view.state.present[pid])
    return f'<ul hx-swap-oob="beforeend:#people-{space}">{row}</ul>'


def _delete_person(view: View, pid: int) -> str:
    return f'<li id="person-{pid}" hx-swap-oob="delete"></li>' if view.names else ""


def event_frame(event: ev.Recorded, view: View) -> str:
    """One websocket message telling `view.role` about `event`; `view.state` is the state after it."""
    parts = _changed_panels(event, view)
    parts.append(_prepend("timeline-list", timeline_items([event], view)))
    parts.append(_prepend("notes-list", note_items([event], view)))
    parts.append(seq_marker(event.seq))
    return "".join(parts)


def replay_frame(event: ev.Recorded, view: View) -> str:
    """A missed event re-sent on resume: its timeline line and note; panels follow at the end."""
    parts = [
        _prepend("timeline-list", timeline_items([event], view)),
        _prepend("notes-list", note_items([event], view)),
        seq_marker(event.seq),
    ]
    return "".join(parts)


def resync_frame(view: View, timeline: list[ev.Recorded], notes: list[ev.Recorded]) -> str:
    """Whole panels, timeline and notes (newest first), for a client too far behind to replay."""
    timeline = timeline_items(timeline, view)
    notes = note_items(notes, view)
    return (
        all_panels(view)
        + f'<ol id="timeline-list" hx-swap-oob="true" class="timeline">{timeline}</ol>'
        + f'<ol id="notes-list" hx-swap-oob="true" class="notes">{notes}</ol>'
        + seq_marker(view.state.seq)
    )
