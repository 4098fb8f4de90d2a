"""What one session produced, computed from its event log alone (spec 6(7)①).

`session_figures` is pure: it takes the meetup's events in seq order plus the staff roster
(role and qualification) and returns the figures every report is made of. The same log always
gives the same figures. Participant ids stay inside this module's result; reports turn them
into counts before anyone sees them.

Presence is measured in intervals: a participant is in one space from the event that put them
there (entered, moved, taken into or out of a consultation room) until the next such event, their
leaving, their forced exit, or the close (at its planned time when the schedule caught it up
late). A meetup not yet closed is measured up to `until`.
"""

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from console.consultations import events as cev
from console.live.events import Recorded
from console.moderation import events as mev
from console.moderation.vocab import IncidentKind
from console.security.roles import Qualification, Role
from console.session import events as ev
from console.session.state import effective_at
from console.session.vocab import Mark, Space
from console.workshop import events as wev

SPACES = tuple(Space)
UNRECORDED_TOPIC = "未記入"


@dataclass(frozen=True)
class StaffInfo:
    role: str
    qualification: str | None = None

    @property
    def qualified(self) -> bool:
        q = Qualification.parse(self.qualification)
        return q is not None and q.qualified


@dataclass
class SessionFigures:
    meetup_id: int
    doors_at: datetime
    ends_at: datetime
    closed: bool = False
    participants: set[int] = field(default_factory=set)
    late_joiners: set[int] = field(default_factory=set)
    peak: int = 0
    peak_at: datetime | None = None
    visitors: dict[str, set[int]] = field(default_factory=lambda: {s: set() for s in SPACES})
    seconds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPACES, 0))
    # People present in each space at every whole minute from doors to the planned end.
    timeline: dict[str, list[int]] = field(default_factory=dict)
    consultations: int = 0  # consultations started
    requests: int = 0  # consultation requests received (個別相談受付件数), started or not
    listening: set[int] = field(default_factory=set)  # marked 聞くだけ at some time
    # Who was on duty where, at every change from the doors on: (time, ((staff, post), ...)).
    rosters: list = field(default_factory=list)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    groups: list[str] = field(default_factory=list)  # a family class's workshop groups
    topics: Counter = field(default_factory=Counter)  # topic label -> consultations
    handoffs: int = 0
    on_duty: dict[str, set[int]] = field(default_factory=lambda: {r: set() for r in Role})
    qualified_counsellors: set[int] = field(default_factory=set)
    flags: int = 0
    flags_dismissed: int = 0
    warnings: int = 0
    forced_exits: int = 0
    forced_out: set[int] = field(default_factory=set)
    blocks: int = 0
    refused_entries: int = 0
    incidents: Counter = field(default_factory=Counter)  # incident kind label -> count
    report_notes: list[tuple[datetime, str]] = field(default_factory=list)

    def minutes(self, space: str) -> int:
        """Person-minutes in `space`, rounded half up to whole minutes."""
        return (self.seconds[space] + 30) // 60

    def to_json(self) -> str:
        """The figures as JSON (sets sorted, times in ISO 8601): the same figures, same text."""
        data = {}
        for name, value in vars(self).items():
            if isinstance(value, set):
                value = sorted(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            elif name in ("visitors", "on_duty"):
                value = {k: sorted(v) for k, v in sorted(value.items())}
            elif name == "report_notes":
                value = [(at.isoformat(), text) for at, text in value]
            elif name == "rosters":
                value = [(at.isoformat(), [list(d) for d in duties]) for at, duties in value]
            data[name] = value
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SessionFigures":
        data = json.loads(text)
        for name in (
            "participants",
            "late_joiners",
            "forced_out",
            "qualified_counsellors",
            "listening",
        ):
            data[name] = set(data.get(name, ()))
        for name in ("doors_at", "ends_at", "peak_at", "opened_at", "closed_at"):
            data[name] = datetime.fromisoformat(data[name]) if data.get(name) else None
        data["rosters"] = [
            (datetime.fromisoformat(at), tuple((sid, post) for sid, post in duties))
            for at, duties in data.get("rosters", ())
        ]
        for name in ("visitors", "on_duty"):
            data[name] = {k: set(v) for k, v in data[name].items()}
        for name in ("topics", "incidents"):
            data[name] = Counter(data[name])
        data["report_notes"] = [(datetime.fromisoformat(at), t) for at, t in data["report_notes"]]
        return cls(**data)

    @property
    def counsellors(self) -> set[int]:
        return self.on_duty[Role.COUNSELLOR]

    @property
    def troubles(self) -> int:
        return sum(self.incidents.values())


def session_figures(
    *,
    meetup_id: int,
    doors_at: datetime,
    ends_at: datetime,
    events: Iterable[Recorded],
    staff: Mapping[int, StaffInfo],
    until: datetime | None = None,
) -> SessionFigures:
    f = SessionFigures(meetup_id=meetup_id, doors_at=doors_at, ends_at=ends_at)
    where: dict[int, tuple[str, datetime]] = {}  # participant -> (space, since)
    duty: dict[int, str] = {}  # staff on duty -> post
    intervals: list[tuple[str, datetime, datetime]] = []
    topic_of: dict[int, str] = {}  # consultation record -> its last saved topic

    def close(pid: int, at: datetime) -> None:
        space, since = where.pop(pid)
        intervals.append((space, since, at))
        f.seconds[space] += max(0, int((at - since).total_seconds()))

    def put(pid: int, space: str, at: datetime) -> None:
        if pid in where:
            close(pid, at)
        where[pid] = (space, at)
        f.visitors[space].add(pid)

    for event in events:
        body, at = event.body, event.at
        match body:
            case ev.ParticipantEntered(participant_id=pid, space=space):
                if pid not in f.participants and body.late:
                    f.late_joiners.add(pid)
                f.participants.add(pid)
                put(pid, space, at)
                if len(where) > f.peak:
                    f.peak, f.peak_at = len(where), at
            case ev.ParticipantMoved(participant_id=pid, to_space=space):
                put(pid, space, at)
            case cev.ConsultationRequested():
                f.requests += 1
            case wev.GroupOpened(group=name):
                f.groups.append(name)
            case ev.ParticipantMarked(participant_id=pid, mark=Mark.LISTENING):
                f.listening.add(pid)
            case cev.ConsultationStarted(participant_id=pid):
                f.consultations += 1
                topic_of.setdefault(body.record_id, UNRECORDED_TOPIC)
                put(pid, Space.CONSULTATION, at)
            case cev.ConsultationEnded(participant_id=pid, to_space=space):
                put(pid, space, at)
            case ev.ParticipantLeft(participant_id=pid):
                close(pid, at)
            case mev.ForcedExit(participant_id=pid):
                f.forced_exits += 1
                f.forced_out.add(pid)
                if pid in where:
                    close(pid, at)
            case ev.DoorsOpened() | ev.MeetupStarted():
                f.opened_at = f.opened_at or effective_at(event)
            case ev.MeetupClosed():
                f.closed = True
                f.closed_at = effective_at(event)
                for pid in list(where):
                    close(pid, effective_at(event))
                duty.clear()
                f.rosters.append((at, ()))
            case cev.ConsultationRecordSaved(record_id=rid, topic=topic):
                topic_of[rid] = topic or UNRECORDED_TOPIC
            case cev.HandoffConfirmed() | cev.PhoneHandoffRecorded():
                f.handoffs += 1
            case ev.StaffPostChanged(staff_id=sid, post=post):
                duty[sid] = post
                f.rosters.append((at, tuple(sorted(duty.items()))))
            case ev.StaffOffDuty(staff_id=sid):
                duty.pop(sid, None)
                f.rosters.append((at, tuple(sorted(duty.items()))))
            case ev.StaffOnDuty(staff_id=sid, post=post):
                duty[sid] = post
                f.rosters.append((at, tuple(sorted(duty.items()))))
                info = staff.get(sid)
                if info is not None:
                    f.on_duty[info.role].add(sid)
                    if info.role == Role.COUNSELLOR and info.qualified:
                        f.qualified_counsellors.add(sid)
            case mev.FlagRaised():
                f.flags += 1
            case mev.FlagDismissed():
                f.flags_dismissed += 1
            case mev.WarningGiven():
                f.warnings += 1
            case mev.ParticipantBlocked():
                f.blocks += 1
            case mev.EntryRefused():
                f.refused_entries += 1
            case mev.IncidentRecorded(kind=kind):
                label = IncidentKind.parse(kind)
                f.incidents[label.label if label else kind] += 1
            case ev.StaffNotePosted(text=text, for_report=True):
                f.report_notes.append((at, text))
    if where and until is not None:
        for pid in list(where):
            close(pid, max(until, where[pid][1]))
    f.topics = Counter(topic_of.values())
    f.timeline = _timeline(intervals, doors_at, ends_at)
    return f


def _timeline(
    intervals: list[tuple[str, datetime, datetime]], start: datetime, end: datetime
) -> dict[str, list[int]]:
    """Head counts per space at each whole minute start, start+1min, … end (inclusive)."""
    marks = int((end - start).total_seconds() // 60) + 1
    deltas = {space: [0] * (marks + 1) for space in SPACES}

    def index(at: datetime) -> int:
        return min(marks, max(0, math.ceil((at - start).total_seconds() / 60)))

    for space, since, until in intervals:
        deltas[space][index(since)] += 1
        deltas[space][index(until)] -= 1
    counts = {}
    for space, delta in deltas.items():
        running, series = 0, []
        for d in delta[:marks]:
            running += d
            series.append(running)
        counts[space] = series
    return counts
