"""The event log: the only writer of events, and the reader every projection uses.

`append` runs one transaction that (1) returns the original event if the command id was
already used for the same input (its fingerprint), and refuses an id reused for anything
else, (2) takes the meetup's row lock by bumping `last_seq`, so seqs are gap-free and
strictly increasing even when commands race across threads or processes, (3) brings the
caller's state snapshot up to the seq before the new one, (4) asks `decide` for the event
against that exact state (it may refuse), and (5) inserts the event. Only after the commit
does the caller publish it. Effects that other domains registered for the event's kind
(`Registry.reactions`) run in the same transaction, after the command's own.
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
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
    """Append the event `decide` returns, once per command id. Raises Refused, appending nothing.

    `fingerprint` (see `fingerprint()`) is taken of the command's input, not of the event
    `decide` makes of it: a retry that arrives after the state moved on still gets its
    original event, while the same id with another command or other input is refused (409).
    """
    if not COMMAND_ID.match(command_id or ""):
        raise Refused("操作IDが不正です。画面を再読み込みしてからやり直してください。", status=400)
    try:
        with transaction(engine) as db:
            earlier = _by_command_id(db, command_id)
            if earlier is not None:
                return _duplicate(
                    earlier, meetup_id=meetup_id, actor_id=actor_id, fingerprint=fingerprint
                )
            seq = db.execute(
                update(Meetup)
                .where(Meetup.id == meetup_id)
                .values(last_seq=Meetup.last_seq + 1)
                .returning(Meetup.last_seq)
            ).scalar_one_or_none()
            if seq is None:
                raise Refused("開催回が見つかりません。", status=404)
            if state.seq > seq - 1:
                raise RuntimeError(f"live state at {state.seq} is ahead of the log at {seq - 1}")
            state = fold(state, read_since(db, meetup_id, state.seq, upto=seq - 1))
            decision = decide(db, state)
            body, effect = decision if isinstance(decision, tuple) else (decision, None)
            event = Recorded(
                meetup_id=meetup_id,
                seq=seq,
                at=now(),
                actor_id=actor_id,
                command_id=command_id,
                body=body,
            )
            after = apply(state, event)
            db.add(
                EventRow(
                    meetup_id=meetup_id,
                    seq=seq,
                    type=body.type,
                    actor_id=actor_id,
                    participant_id=getattr(body, "participant_id", None),
                    at=event.at,
                    payload=body.to_json(),
                    command_id=command_id,
                    fingerprint=fingerprint,
                )
            )
            if effect is not None:
                effect(db, event, state)
            for reaction in current().reactions.get(body.type, ()):
                reaction(db, event, state)
            announce(db, meetup_id, seq)
            if after.status != state.status:
                db.execute(update(Meetup).where(Meetup.id == meetup_id).values(status=after.status))
    except IntegrityError:
        # A twin with the same command id committed between our check and our insert.
        with Session(engine) as db:
            earlier = _by_command_id(db, command_id)
        if earlier is None:
            # Another command changed the same record at the same moment (e.g. two blocks).
            raise Refused(
                "同時に別の操作が記録されました。画面を確認してからやり直してください。", status=409
            ) from None
        return _duplicate(earlier, meetup_id=meetup_id, actor_id=actor_id, fingerprint=fingerprint)
    return Appended(event=event, duplicate=False)


def _duplicate(
    earlier: _Earlier, *, meetup_id: int, actor_id: int | None, fingerprint: str
) -> Appended:
    """A retried command gets its original event; an id reused for something else is refused.

    An event without a fingerprint (written before they were kept) is taken for a retry."""
    if earlier.event.meetup_id != meetup_id or earlier.event.actor_id != actor_id:
        raise Refused(
            "この操作IDは別の操作で使用済みです。画面を再読み込みしてください。", status=409
        )
    if earlier.fingerprint is not None and earlier.fingerprint != fingerprint:
        raise Refused(
            "この操作IDは別の内容の操作で使用済みです。画面を再読み込みしてからやり直してください。",
            status=409,
        )
    return Appended(event=earlier.event, duplicate=True)
