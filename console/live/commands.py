"""The one way to run a command staff give during a meetup, from a form to the live screens.

A command parses its form (bad input is refused before any transaction), then hands the
event log a `decide` function that validates against the live state inside the append
transaction. The hub publishes the event only after it is committed. Each domain lists its
commands (name → `Command`, with the `Action` that permits it) and the composition root
registers them.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import anyio
from starlette.requests import Request
from starlette.responses import Response

from console.core.errors import Refused
from console.core.pages import result
from console.live import eventlog
from console.live.eventlog import Appended, Decide
from console.live.registry import current
from console.security.models import Staff
from console.security.permissions import Action, allowed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    action: Action
    prepare: Callable[[Mapping[str, str], Staff], Decide]
    done: str


FORBIDDEN = "この操作を行う権限がありません。"
BATCH = 64  # commands appended in one transaction at most
NOT_INPUT = frozenset({"command_id", "csrf_token"})  # carried by a form, but not what it asks


def outcome(name: str, appended: Appended) -> tuple[str, int]:
    """The Japanese message and HTTP status that answer a command that appended an event."""
    registry = current()
    refusal = registry.refusals.get(appended.event.type)
    if refusal is not None:
        return (refusal if isinstance(refusal, str) else refusal(appended.event.body)), 422
    message = registry.commands[name].done
    if appended.duplicate:
        message += "(同じ操作の再送信のため、記録は1件のみです)"
    return message, 200


async def execute(
    hub, *, meetup_id: int, actor: Staff, name: str, form: Mapping[str, str], command_id: str
) -> Appended:
    """Run one command: permission, parse, append (idempotent by command id), publish.

    Raises Refused (nothing appended) when any step says no.
    """
    command = current().commands.get(name)
    if command is None:
        raise Refused("不明な操作です。", status=404)
    if not allowed(actor.role, command.action):
        raise Refused(FORBIDDEN, status=403)
    decide = command.prepare(form, actor)
    return await append_and_publish(
        hub,
        meetup_id=meetup_id,
        actor_id=actor.id,
        command_id=command_id,
        fingerprint=eventlog.fingerprint(
            name, {k: v for k, v in form.items() if k not in NOT_INPUT}
        ),
        decide=decide,
    )


async def append_and_publish(
    hub,
    *,
    meetup_id: int,
    actor_id: int | None,
    command_id: str,
    fingerprint: str,
    decide: Decide,
) -> Appended:
    """Append (idempotent by command id), then publish; raises Refused, appending nothing.

    Commands for one meetup that arrive while its previous append is running wait for it and
    are then appended together (`write`): one transaction and one fsync for all of them, one
    delivery. Shielded: once the append has committed, the event is published even if the
    caller went away meanwhile. Then the hooks registered for the event's kind run (not for a
    duplicate).
    """
    live = await hub.live(meetup_id)
    request = eventlog.Request(command_id, fingerprint, actor_id, decide)
    with anyio.CancelScope(shield=True):
        done = asyncio.get_running_loop().create_future()
        live.waiting.append((request, done))
        if live.writing is None:
            live.writing = asyncio.create_task(write(hub, live))
        outcome = await done
    if isinstance(outcome, BaseException):
        raise outcome
    if not outcome.duplicate:
        for hook in current().after_commit.get(outcome.event.type, ()):
            try:
                await anyio.to_thread.run_sync(hook, hub.engine, meetup_id)
            except Exception:
                log.exception("after-commit hook %s failed for meetup %s", hook.__name__, meetup_id)
    return outcome


async def write(hub, live) -> None:
    """The meetup's writer: appends what is waiting, up to BATCH commands at a time, under the
    meetup's lock, then delivers the committed events (a duplicate's too: the hub drops seqs
    it has, and this repairs an earlier attempt that committed but was never published).

    If a batch fails as a whole (not a refusal: an error), each of its commands is tried on
    its own, so one command's error is its own."""
    try:
        while live.waiting:
            batch, live.waiting = live.waiting[:BATCH], live.waiting[BATCH:]
            async with live.lock:
                try:
                    outcomes = await _append(hub, live, [request for request, _ in batch])
                except Exception:
                    if len(batch) == 1:
                        raise
                    outcomes = [await _alone(hub, live, request) for request, _ in batch]
                events = {o.event.seq: o.event for o in outcomes if isinstance(o, Appended)}
                await hub.deliver(live.meetup.id, [events[seq] for seq in sorted(events)])
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                done.set_result(outcome)
    except Exception as error:  # the transaction failed: every command still waiting hears it
        for _, done in batch:
            if not done.done():
                done.set_result(error)
        log.exception("appending failed for meetup %s", live.meetup.id)
    finally:
        live.writing = None
        if live.waiting:  # arrived after a failure
            live.writing = asyncio.create_task(write(hub, live))


async def _append(hub, live, requests: list[eventlog.Request]) -> list:
    return await anyio.to_thread.run_sync(
        partial(
            eventlog.append_many,
            hub.engine,
            meetup_id=live.meetup.id,
            requests=requests,
            state=live.state,
        )
    )


async def _alone(hub, live, request: eventlog.Request):
    try:
        (outcome,) = await _append(hub, live, [request])
    except Exception as error:
        log.exception("appending failed for meetup %s", live.meetup.id)
        return error
    return outcome


async def command_response(
    request: Request, *, meetup_id: int, name: str, extra: dict[str, str] | None = None
) -> Response:
    """Run one command from a form and answer with its Japanese outcome."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    form.update(extra or {})
    try:
        appended = await execute(
            request.app.state.hub,
            meetup_id=meetup_id,
            actor=request.state.staff,
            name=name,
            form=form,
            command_id=form.get("command_id", ""),
        )
    except Refused as refused:
        return result(request, refused.message, refused.status)
    message, status = outcome(name, appended)
    response = result(request, message, status)
    response.headers["X-Event-Seq"] = str(appended.event.seq)
    return response
