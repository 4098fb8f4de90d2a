"""What one role sees of one meetup: its live state, the names to show, and the staffing."""

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, func, select

from console.bridge.state import Avatar, unconfirmed
from console.care import queries as care
from console.live.models import EventRow, Meetup
from console.moderation import events as moderation_events
from console.moderation.models import Block
from console.schedule.compliance import OnDuty, Rule, check_staffing, unmet_periods, unmet_since
from console.schedule.plans import experienced_staff
from console.security.models import Staff
from console.security.permissions import Action, allowed
from console.security.roles import Qualification, Role
from console.session.models import Participant
from console.session.state import LiveState
from console.session.vocab import MeetupKind, Post, Space, posts_of, spaces_of
from console.settings import TZ
from console.store.columns import utcnow
from console.workshop.queries import facilitations, fitness


@dataclass(frozen=True)
class Directory:
    """Names to show, looked up when rendering: events and state hold ids only."""

    staff: dict[int, Staff]
    participants: dict[int, Participant]
    past_warnings: dict[int, int]  # participant -> warnings in other meetups
    blocked: frozenset[int]
    block_pending: frozenset[int] = frozenset()  # forced out, no block decision yet
    experienced: frozenset[int] = frozenset()  # staff experienced in hikikomori support
    facilitations: dict[int, int] = field(default_factory=dict)  # workshops before this one
    follow_ups: dict[int, dt.date] = field(default_factory=dict)  # participant -> earliest due

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
                    .where(EventRow.type == moderation_events.WarningGiven.type, earlier)
                    .group_by(EventRow.participant_id)
                ).all()
            )
        blocked = db.exec(select(Block.participant_id).where(col(Block.lifted_at).is_(None))).all()
        return cls(
            staff=staff,
            participants=people,
            past_warnings=past,
            blocked=frozenset(blocked),
            block_pending=care.pending_block_participants(db),
            experienced=experienced_staff(db),
            facilitations=facilitations(db, except_meetup=meetup_id),
            follow_ups=care.open_follow_up_dues(db),
        )

    def staff_name(self, staff_id: int | None) -> str:
        if staff_id is None:
            return "自動"
        staff = self.staff.get(staff_id)
        return staff.display_name if staff else f"職員#{staff_id}"

    def participant_name(self, participant_id: int) -> str:
        """Callers check the role may see names (`View.names`) before calling this."""
        person = self.participants.get(participant_id)
        return person.display_name if person else "参加者"

    def participant_code(self, participant_id: int) -> str:
        person = self.participants.get(participant_id)
        return person.code if person else ""

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
    def kind(self) -> MeetupKind:
        return MeetupKind.parse(self.meetup.kind) or MeetupKind.METAVERSE

    @property
    def spaces(self) -> tuple[Space, ...]:
        """This kind of meetup's spaces (a family class: lecture, workshop, consultation)."""
        return spaces_of(self.meetup.kind)

    @property
    def posts(self) -> tuple[Post, ...]:
        return posts_of(self.meetup.kind)

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

    def follow_up_due(self, participant_id: int) -> tuple[dt.date, bool] | None:
        """The earliest due date of the participant's open follow-ups and whether it has
        passed, for roles that take them on (a reminder while the person is here: a chance
        to talk)."""
        due = self.directory.follow_ups.get(participant_id)
        if due is None or not allowed(self.role, Action.FOLLOW_UP):
            return None
        return due, due < utcnow().astimezone(TZ).date()

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
        for staff_id, post in self._posted(duties):
            staff = self.directory.staff.get(staff_id)
            if staff is not None:
                qualified = self.directory.qualified(staff_id)
                experienced = staff_id in self.directory.experienced
                roster.append(OnDuty(staff_id, staff.role, qualified, post, experienced))
        return roster

    def _groups(self) -> int | list[str] | None:
        """A family class's groups: the open workshop groups by name, or (before any is made)
        the number planned."""
        if self.meetup.kind != MeetupKind.FAMILY_CLASS:
            return None
        return [g.name for g in self.state.open_groups()] or (self.meetup.groups or 1)

    def _posted(self, duties):
        """Who is where; a facilitator leading a workshop group is posted to that group."""
        if self.meetup.kind != MeetupKind.FAMILY_CLASS:
            return duties
        return [
            (sid, group.name if (group := self.state.led_by(sid)) else post) for sid, post in duties
        ]

    def compliance(self) -> list[tuple[Rule, object]]:
        """Each staffing rule of this kind of meetup, and since when it is unmet (or None)."""
        groups = self._groups()
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
        groups = self._groups()
        opened = self.state.opened_at
        if opened is None:
            return {}
        snapshots = [
            (at, check_staffing(self.meetup.kind, self._roster(d), groups=groups))
            for at, d in self._rosters()
        ]
        return unmet_periods(snapshots, until=self.state.closed_at or utcnow())

    def workshop(self) -> list[dict]:
        """The workshop groups as the panel shows them: facilitator (with a warning when they
        lack the spec's requirements), members with whether they have spoken."""
        shown = []
        for group in self.state.groups.values():
            lead = self.directory.staff.get(group.facilitator) if group.facilitator else None
            fit = fitness(lead, self.directory.facilitations.get(lead.id, 0)) if lead else None
            members = [
                {
                    "id": pid,
                    "name": self.directory.participant_name(pid) if self.names else "参加者",
                    "spoke": pid in group.spoke,
                    "present": pid in self.state.present,
                }
                for pid in group.members
            ]
            shown.append({"group": group, "lead": lead, "fitness": fit, "members": members})
        return shown

    def facilitators_on_duty(self) -> list[Staff]:
        people = [self.directory.staff.get(sid) for sid in self.state.on_duty]
        return [s for s in people if s is not None and s.role == Role.FACILITATOR]

    def may_tick(self, staff_id: int, group) -> bool:
        return self.role == Role.MANAGER or group.facilitator == staff_id

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

    def unconfirmed(self) -> list[Avatar]:
        """The platform's avatars that nobody is linked to yet (shown to on-site staff)."""
        return unconfirmed(self.state) if self.names else []

    def link_candidates(self, avatar: Avatar, limit: int = 3) -> list[Participant]:
        """Who an unconfirmed avatar may be: present participants no avatar is known for (those
        admitted at the gate without a token, or typed in by staff), in its space and latest
        first."""
        tracked = {a.participant_id for a in self.state.avatars.values() if a.in_world}
        present = [p for p in self.state.present.values() if p.participant_id not in tracked]
        present.sort(key=lambda p: (p.space != avatar.space, -p.entered_at.timestamp()))
        people = self.directory.participants
        return [people[p.participant_id] for p in present[:limit] if p.participant_id in people]

    def absent(self) -> list[Participant]:
        people = self.directory.participants.values()
        return sorted((p for p in people if p.id not in self.state.present), key=lambda p: p.code)
