"""The event log: the only writer of events, and the reader every projection uses.

`append_many` runs one transaction for one or several commands of a meetup that (1) takes
the meetup's row lock and reads its `last_seq`, so seqs are gap-free and strictly increasing
even when commands race across threads or processes, (2) brings the caller's state snapshot
up to it, then for each command in order (3) asks its `decide` for the event against the
state its predecessors made (it may refuse) and (4) inserts the event unless its command id
is already in the log: then that command's savepoint is rolled back and the earlier event
answers if it was the same input (its fingerprint), while an id reused for anything else is
refused. Only after the commit does the caller publish the events. Effects that other domains
registered for the event's kind (`Registry.reactions`) run in the same savepoint, after the
command's own."""

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from console.core.errors import Refused
from console.live.bus import announce
from console.live.events import Body, Recorded
from console.live.fold import apply, fold
from console.live.models import EventRow, Meetup
from console.live.registry import Effect, State, current
from console.store.columns import utcnow
from console.store.crypto import SHREDDED
from console.store.db import transaction

COMMAND_ID = re.compile(r"^[A-Za-z0-9:_.\-]{8,64}$")


@dataclass(frozen=True)
class Appended:
    event: Recorded
    duplicate: bool


Decide = Callable[[Session, State], "Body | tuple[Body, Effect]"]
"""Validates a command against the state just before its event, inside the append
transaction: returns the event body, optionally with an `Effect` (writes to reference tables,
such as a block or an outbox email, that must commit together with the event)."""


# Reading columns rather than ORM objects: the log is read far more than it is written, and
# building an identity-mapped instance per event costs more than decrypting it.
COLUMNS = (
    EventRow.meetup_id,
    EventRow.seq,
    EventRow.at,
    EventRow.actor_id,
    EventRow.command_id,
    EventRow.type,
    EventRow.payload,
)


def recorded(row) -> Recorded:
    """An event from its row (an `EventRow` or a row of `COLUMNS`). An event whose content a
    disposal destroyed cannot be read again: a clear refusal (its meetup's reports stay)."""
    if row.payload == SHREDDED:
        raise Refused(
            "この回の記録の内容は廃棄済みです(集計の報告書は引き続き閲覧できます)。", status=410
        )
    return Recorded(
        meetup_id=row.meetup_id,
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        command_id=row.command_id,
        body=current().body(row.type, row.payload),
    )


def fingerprint(command: str, fields: Mapping[str, str]) -> str:
    """What a command was asked to do, as `append` compares it: the same name and the same
    fields (in any order) give the same fingerprint, anything else another one."""
    given = json.dumps([command, sorted(fields.items())], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(given.encode()).hexdigest()


@dataclass(frozen=True)
class _Earlier:
    event: Recorded
    fingerprint: str | None


def _by_command_id(db: Session, command_id: str) -> _Earlier | None:
    query = select(*COLUMNS, EventRow.fingerprint).where(EventRow.command_id == command_id)
    row = db.exec(query).first()
    return _Earlier(recorded(row), row.fingerprint) if row else None


def read_since(
    db: Session, meetup_id: int, after: int, *, upto: int | None = None, limit: int | None = None
) -> list[Recorded]:
    """Committed events of one meetup with after < seq (<= upto), in seq order."""
    query = select(*COLUMNS).where(EventRow.meetup_id == meetup_id, EventRow.seq > after)
    if upto is not None:
        query = query.where(EventRow.seq <= upto)
    query = query.order_by(EventRow.seq)
    if limit is not None:
        query = query.limit(limit)
    return [recorded(row) for row in db.exec(query)]


def recent(
    db: Session, meetup_id: int, *, upto: int, limit: int, type_: str | None = None
) -> list[Recorded]:
    """Up to `limit` committed events with seq <= upto (of one type if given), newest first."""
    query = select(*COLUMNS).where(EventRow.meetup_id == meetup_id, EventRow.seq <= upto)
    if type_ is not None:
        query = query.where(EventRow.type == type_)
    query = query.order_by(EventRow.seq.desc()).limit(limit)
    return [recorded(row) for row in db.exec(query)]


def replay(engine: Engine, meetup_id: int) -> State:
    """A fresh fold of the meetup's whole log."""
    with Session(engine) as db:
        return fold(current().new_state(meetup_id), read_since(db, meetup_id, 0))


def _insert(dialect: str):
    """INSERT of one event that does nothing (and returns no row) if its command id is taken:
    the exactly-once check is the unique index itself, not a read before the write."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(EVENT).on_conflict_do_nothing(index_elements=["command_id"]).returning(EVENT.c.id)


EVENT = EventRow.__table__
MEETUP = Meetup.__table__
# Takes the meetup's row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the
# database's) and reads the last seq: commands race across threads and processes, seqs don't.
_LOCK_SEQ = (
    update(MEETUP)
    .where(MEETUP.c.id == bindparam("meetup"))
    .values(last_seq=MEETUP.c.last_seq)
    .returning(MEETUP.c.last_seq)
)


class _Taken(Exception):
    """Inside the transaction: the command id is already in the log (roll back, then answer
    with the earlier event)."""


@dataclass(frozen=True)
class Request:
    """One command's ask of the log: its id, the fingerprint of its input (see
    `fingerprint()`), who gives it, and the `decide` that makes its event."""

    command_id: str
    fingerprint: str
    actor_id: int | None
    decide: Decide


Outcome = Appended | Refused


def append(
    engine: Engine,
    *,
    meetup_id: int,
    command_id: str,
    fingerprint: str,
    actor_id: int | None,
    state: State,
    decide: Decide,
    now: Callable[[], datetime] = utcnow,
) -> Appended:
    """Append the event `decide` returns, once per command id. Raises Refused, appending
    nothing. One command on its own: see `append_many`."""
    request = Request(command_id, fingerprint, actor_id, decide)
    (outcome,) = append_many(engine, meetup_id=meetup_id, requests=[request], state=state, now=now)
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def append_many(
    engine: Engine,
    *,
    meetup_id: int,
    requests: list[Request],
    state: State,
    now: Callable[[], datetime] = utcnow,
) -> list[Outcome]:
    """Append the events of several commands in one transaction (one commit, one fsync), in
    order, each decided against the state its predecessors made. Each command's outcome, in
    the order given: its event, the earlier event of a retry, or its refusal.

    In SQLAlchemy Core on the transaction's one connection: the meetup's row is locked (its
    `last_seq` read), any events the caller's state lacks are read, then for each command a
    SAVEPOINT, `decide`, and an INSERT whose conflict on the command id means "already done":
    the savepoint is rolled back and, after the commit, the earlier event answers if its input
    was the same (its fingerprint) and a refusal (409) if not. A refused command's savepoint is
    rolled back too, so it leaves nothing; the others go on. The seqs taken are gap-free:
    `last_seq` is written once, after the last event. A failure of the transaction itself
    raises, and then nothing at all was appended.
    """
    outcomes: list[Outcome | None] = [None] * len(requests)
    taken: list[int] = []  # answered by the committed event with the same command id
    with transaction(engine) as db:
        conn = db.connection()
        last = conn.execute(_LOCK_SEQ, {"meetup": meetup_id}).scalar_one_or_none()
        if last is None:
            raise Refused("開催回が見つかりません。", status=404)
        if state.seq > last:
            raise RuntimeError(f"live state at {state.seq} is ahead of the log at {last}")
        if state.seq < last:  # the caller's state lacks events (another worker's)
            state = fold(state, read_since(db, meetup_id, state.seq, upto=last))
        status = state.status
        for index, request in enumerate(requests):
            if not COMMAND_ID.match(request.command_id or ""):
                outcomes[index] = Refused(
                    "操作IDが不正です。画面を再読み込みしてからやり直してください。", status=400
                )
                continue
            point = db.begin_nested()
            try:
                event, after = _one(db, conn, meetup_id, last + 1, request, state, now())
            except Refused as refused:
                point.rollback()
                outcomes[index] = refused
            except (_Taken, IntegrityError):
                # IntegrityError: another command changed the same record at the same moment
                # (two blocks), or (PostgreSQL) a twin committed the same command id meanwhile.
                point.rollback()
                taken.append(index)
            else:
                point.commit()
                last, state = last + 1, after
                outcomes[index] = Appended(event=event, duplicate=False)
        if any(isinstance(o, Appended) for o in outcomes):
            values = {"last_seq": last} | (
                {"status": state.status} if state.status != status else {}
            )
            conn.execute(update(MEETUP).where(MEETUP.c.id == meetup_id).values(**values))
            announce(db, meetup_id, last)
    if taken:
        with Session(engine) as db:
            for index in taken:
                outcomes[index] = _answer_retry(db, meetup_id, requests[index])
    return outcomes


def _one(db: Session, conn, meetup_id: int, seq: int, request: Request, state: State, at):
    """Inside the savepoint: decide, insert, the effects. (event, state after) or raises."""
    try:
        decision = request.decide(db, state)
    except Refused:
        # A retry may be refused by the state its own event made: answer it instead.
        if _by_command_id(db, request.command_id) is not None:
            raise _Taken() from None
        raise
    body, effect = decision if isinstance(decision, tuple) else (decision, None)
    event = Recorded(
        meetup_id=meetup_id,
        seq=seq,
        at=at,
        actor_id=request.actor_id,
        command_id=request.command_id,
        body=body,
    )
    after = apply(state, event)
    inserted = conn.execute(
        _insert(conn.dialect.name),
        {
            "meetup_id": meetup_id,
            "seq": seq,
            "type": body.type,
            "actor_id": request.actor_id,
            "participant_id": getattr(body, "participant_id", None),
            "at": event.at,
            "payload": body.to_json(),
            "command_id": request.command_id,
            "fingerprint": request.fingerprint,
        },
    ).first()
    if inserted is None:
        raise _Taken()
    if effect is not None:
        effect(db, event, state)
    for reaction in current().reactions.get(body.type, ()):
        reaction(db, event, state)
    return event, after


def _answer_retry(db: Session, meetup_id: int, request: Request) -> Outcome:
    """A command whose id is already in the log: a retry gets its original event; an id reused
    for something else is refused. An event without a fingerprint (written before they were
    kept) is taken for a retry."""
    earlier = _by_command_id(db, request.command_id)
    if earlier is None:
        return Refused(
            "同時に別の操作が記録されました。画面を確認してからやり直してください。", status=409
        )
    if earlier.event.meetup_id != meetup_id or earlier.event.actor_id != request.actor_id:
        return Refused(
            "この操作IDは別の操作で使用済みです。画面を再読み込みしてください。", status=409
        )
    if earlier.fingerprint is not None and earlier.fingerprint != request.fingerprint:
        return Refused(
            "この操作IDは別の内容の操作で使用済みです。画面を再読み込みしてからやり直してください。",
            status=409,
        )
    return Appended(event=earlier.event, duplicate=True)
