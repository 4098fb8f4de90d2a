"""The one way to run a command staff give during a meetup, from a form to the live screens.

A command parses its form (bad input is refused before any transaction), then hands the
event log a `decide` function that validates against the live state inside the append
transaction. The hub publishes the event only after it is committed. Each domain lists its
commands (name → `Command`, with the `Action` that permits it) and the composition root
registers them.
"""

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
    """Append (idempotent by command id) under the meetup's lock, then publish.

    Shielded: once the append has committed, the event is published even if the caller went
    away meanwhile. A duplicate is delivered too (the hub drops seqs it has), which repairs an
    earlier attempt that committed but was never published. Then the hooks registered for the
    event's kind run (not for a duplicate).
    """
    live = await hub.live(meetup_id)
    with anyio.CancelScope(shield=True):
        async with live.lock:
            appended = await anyio.to_thread.run_sync(
                partial(
                    eventlog.append,
                    hub.engine,
                    meetup_id=meetup_id,
                    command_id=command_id,
                    fingerprint=fingerprint,
                    actor_id=actor_id,
                    state=live.state,
                    decide=decide,
                )
            )
            await hub.deliver(meetup_id, [appended.event])
    if not appended.duplicate:
        for hook in current().after_commit.get(appended.event.type, ()):
            try:
                await anyio.to_thread.run_sync(hook, hub.engine, meetup_id)
            except Exception:
                log.exception("after-commit hook %s failed for meetup %s", hook.__name__, meetup_id)
    return appended


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
