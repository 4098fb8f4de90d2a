"""Live state is a pure fold: stale state + the events it missed == a fresh fold of the log.

Zulip's verify_action, applied to every split point of many random walks through the
commands (each walk only contains events the commands allowed at that moment).
"""

import random

import pytest
from sqlmodel import Session, select

from console.bridge import links
from console.bridge.contract import Delivery, Kind
from console.bridge.deliveries import decide_delivery
from console.consultations import events as cev
from console.core.errors import Refused
from console.demo import seed as seed_demo
from console.intake.events import GateReason, GateRefused
from console.live import eventlog
from console.live.fold import OutOfOrder, apply, fold
from console.live.models import Meetup
from console.moderation import events as mev
from console.moderation.vocab import FlagReason, IncidentKind
from console.security.models import Staff
from console.session import events as sev
from console.session.models import Participant
from console.session.state import LiveState
from console.session.vocab import Mark, Post, Space, posts_of, spaces_of
from console.store.columns import utcnow
from console.store.db import make_engine, transaction
from console.store.schema import migrate
from console.web.composition import REGISTRY
from tests.conftest import new_meetup

COMMANDS = REGISTRY.commands
GATE = "entry gate"
PLATFORM = "platform delivery"
AVATARS = [f"walk-av-{n}" for n in range(1, 7)]  # the first four are linked to participants


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fold') / 'fold.db'}")
    migrate(engine)
    seed_demo(engine)
    with Session(engine) as db:
        staff = [s for s in db.exec(select(Staff)) if s.role != "ward"]
        people = list(db.exec(select(Participant)))
    links.link_avatars(engine, {a: p.id for a, p in zip(AVATARS[:4], people, strict=False)})
    return engine, staff, people


def random_form(
    rng: random.Random, people, state: LiveState, seen: dict[str, list[int]], kind: str
) -> dict[str, str]:
    present = list(state.present)
    person = rng.choice(people)
    pid = rng.choice(present) if present and rng.random() < 0.8 else person.id
    members = [p for g in state.groups.values() for p in g.members]
    if members and rng.random() < 0.5:
        pid = rng.choice(members)
    spoke = [p for g in state.groups.values() for p in g.spoke]
    if spoke and rng.random() < 0.3:
        pid = rng.choice(spoke)
    groups = list(state.groups)
    group = rng.choice(groups) if groups and rng.random() < 0.7 else rng.choice(["A", "B", "C"])
    leads = [sid for sid in state.on_duty if sid in seen["facilitators"]]
    lead = rng.choice(leads) if leads and rng.random() < 0.8 else rng.choice(seen["staff"])
    flags = list(state.open_flags)
    return {
        "participant_id": str(pid),
        "participant_code": person.code,
        "space": rng.choice([*spaces_of(kind), "nowhere"] if rng.random() < 0.9 else list(Space)),
        "post": rng.choice(posts_of(kind) if rng.random() < 0.9 else list(Post)),
        "mark": rng.choice(list(Mark)),
        "text": rng.choice(["様子を見ています", "", "x" * 2001]),
        "reason": rng.choice([*FlagReason, "理由があります", ""]),
        "rule": rng.choice(list(FlagReason)),
        "wording": rng.choice(["個人情報を聞かないでください", ""]),
        "note": "メモ",
        "description": "青い帽子のアバター",
        "flag_seq": str(rng.choice(flags)) if flags and rng.random() < 0.7 else "",
        "immediate": rng.choice(["", "on"]),
        "cool_down": rng.choice(["", "on"]),
        "kind": rng.choice(list(IncidentKind)),
        "what": "通信が途切れた",
        "actions": "再接続を案内",
        "police": rng.choice(["", "on"]),
        "request_seq": str(rng.choice(list(state.queue) or [1])),
        "room": str(
            rng.choice(list(state.rooms))
            if state.rooms and rng.random() < 0.7
            else rng.randint(1, 3)
        ),
        "to_space": rng.choice(spaces_of(kind) if rng.random() < 0.9 else list(Space)),
        "record_id": str(rng.choice(seen["records"] or [1])),
        "content": "相談内容",
        "answer": rng.choice(["回答", ""]),
        "topic": rng.choice(["家族関係", "就労", ""]),
        "age_bracket": "20s",
        "helpline_consent": rng.choice(["on", "on", ""]),
        "complete": rng.choice(["1", "1", "0"]),
        "to_addr": "helpline@example.org",
        "handoff_id": str(rng.choice(seen["handoffs"] or [1])),
        "spoke_to": "窓口の相談員",
        "called_at": "2026-11-26T15:00",
        "shared": "概要を伝えた",
        "avatar_id": rng.choice(AVATARS),
        "group": group,
        "staff_id": str(lead),
        "unheard_checked": rng.choice(["", "on"]),
    }


def random_delivery(rng: random.Random, meetup_id: int) -> Delivery:
    """What the metaverse platform might send next (its timestamps only move forward)."""
    return Delivery(
        kind=rng.choice(list(Kind)),
        at=utcnow(),
        session=meetup_id,
        avatar_id=rng.choice(AVATARS),
        space=rng.choice([*Space, None]),
        entry_token=None,
        reason=rng.choice(list(FlagReason)),
    )


def random_walk(engine, staff, people, seed: int, steps: int) -> tuple[int, list, LiveState]:
    rng = random.Random(seed)
    meetup_id = new_meetup(engine)
    kind = "family_class" if seed % 3 == 0 else "metaverse"
    if kind == "family_class":  # its spaces, and the workshop's groups
        with transaction(engine) as db:
            db.get(Meetup, meetup_id).kind = kind
    state = LiveState(meetup_id=meetup_id)
    seen: dict[str, list[int]] = {"records": [], "handoffs": [], "staff": [s.id for s in staff]}
    seen["facilitators"] = [s.id for s in staff if s.role == "facilitator"]
    names = [*COMMANDS, GATE, PLATFORM]  # the gate and the platform append without a staff command
    rare = {"consult_take", "consult_end", "record_save", "handoff_prepare", "handoff_confirm"}
    rare |= {"group_facilitator", "turn", "turn_undo"}
    weights = [
        1 if n in ("open_doors", "start", "close") else 20 if n in rare or n == PLATFORM else 6
        for n in names
    ]
    for step in range(steps):
        name = rng.choices(names, weights)[0]
        if name == "close" and step < steps * 0.8:
            continue  # closing ends the walk's interesting part; keep it late
        actor = rng.choice(staff)
        try:
            if name == GATE:
                refusal = GateRefused(
                    participant_id=rng.choice([*(p.id for p in people), None]),
                    reason=rng.choice(list(GateReason)),
                )
                decide = lambda _db, _state, body=refusal: body  # noqa: E731
            elif name == PLATFORM:
                decide = decide_delivery(random_delivery(rng, meetup_id))
            else:
                decide = COMMANDS[name].prepare(random_form(rng, people, state, seen, kind), actor)
            appended = eventlog.append(
                engine,
                meetup_id=meetup_id,
                command_id=f"walk-{seed}-{step}",
                fingerprint=eventlog.fingerprint(name, {"step": str(step)}),
                actor_id=actor.id,
                state=state,
                decide=decide,
            )
        except Refused:
            continue
        state = apply(state, appended.event)
        body = appended.event.body
        if isinstance(body, cev.ConsultationStarted):
            seen["records"].append(body.record_id)
        if isinstance(body, cev.HandoffPrepared):
            seen["handoffs"].append(body.handoff_id)
    with Session(engine) as db:
        events = eventlog.read_since(db, meetup_id, 0)
    return meetup_id, events, state


@pytest.mark.parametrize("seed", range(12))
def test_stale_state_plus_new_events_equals_fresh_fold(world, seed):
    engine, staff, people = world
    meetup_id, events, live = random_walk(engine, staff, people, seed, steps=300)
    assert len(events) > 20, "the walk should produce a real log"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    fresh = eventlog.replay(engine, meetup_id)
    assert fresh == live
    for k in range(len(events) + 1):
        stale = fold(LiveState(meetup_id=meetup_id), events[:k])
        assert fold(stale, events[k:]) == fresh


@pytest.mark.parametrize("seed", range(4))
def test_every_walk_keeps_the_invariants(world, seed):
    engine, staff, people = world
    _meetup_id, events, state = random_walk(engine, staff, people, 100 + seed, steps=300)
    assert all(p.space in set(Space) for p in state.present.values())
    assert set(state.present) <= state.attended
    assert state.late_joiners <= state.attended
    assert state.peak >= len(state.present)
    if state.status == "closed":
        assert not state.present and not state.on_duty
    # The platform's presence kinds are entries and leaves too (subclasses).
    entered = [e for e in events if isinstance(e.body, sev.ParticipantEntered)]
    left = [e for e in events if isinstance(e.body, sev.ParticipantLeft | mev.ForcedExit)]
    if state.status != "closed":
        assert len(entered) - len(left) == len(state.present)
    exited = {e.body.participant_id for e in events if e.type == "forced_exit"}
    assert all(
        f.participant_id not in exited
        or f.seq
        > max(
            e.seq
            for e in events
            if e.type == "forced_exit" and e.body.participant_id == f.participant_id
        )
        for f in state.open_flags.values()
    )


def test_applying_out_of_order_is_refused(world):
    engine, staff, people = world
    meetup_id, events, _ = random_walk(engine, staff, people, 999, steps=60)
    with pytest.raises(OutOfOrder):
        apply(LiveState(meetup_id=meetup_id), events[1])
    state = fold(LiveState(meetup_id=meetup_id), events[:3])
    with pytest.raises(OutOfOrder):
        apply(state, events[2])


def test_the_walks_reach_every_kind_of_event(world):
    engine, staff, people = world
    seen = set()
    for seed in range(200, 212):
        _meetup_id, events, _state = random_walk(engine, staff, people, seed, steps=600)
        seen |= {e.type for e in events}
    assert seen == set(REGISTRY.events)
