"""Every command staff can give during a meetup, and the one way to run them.

A command parses its form (bad input is refused before any transaction), then hands the
event log a `decide` function that validates against the live state inside the append
transaction. The hub publishes the event only after it is committed.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import anyio

from console import eventlog
from console.commands import attendance, duty, lifecycle, notes
from console.eventlog import Appended, Decide, Refused
from console.models import Staff
from console.permissions import Action, allowed


@dataclass(frozen=True)
class Command:
    action: Action
    prepare: Callable[[Mapping[str, str], Staff], Decide]
    done: str


COMMANDS: dict[str, Command] = {
    "open_doors": Command(
        Action.MEETUP_LIFECYCLE, lifecycle.open_doors, "入室受付を開始しました。"
    ),
    "start": Command(Action.MEETUP_LIFECYCLE, lifecycle.start, "開催を開始しました。"),
    "close": Command(Action.MEETUP_LIFECYCLE, lifecycle.close, "開催を終了しました。"),
    "duty_on": Command(Action.STAFF_DUTY, duty.on_duty, "勤務開始を記録しました。"),
    "duty_post": Command(Action.STAFF_DUTY, duty.change_post, "配置変更を記録しました。"),
    "duty_off": Command(Action.STAFF_DUTY, duty.off_duty, "勤務終了を記録しました。"),
    "enter": Command(Action.PARTICIPANT_ENTER, attendance.enter, "入室を記録しました。"),
    "move": Command(Action.PARTICIPANT_MOVE, attendance.move, "移動を記録しました。"),
    "mark": Command(Action.PARTICIPANT_MARK, attendance.mark, "状態を記録しました。"),
    "leave": Command(Action.PARTICIPANT_LEAVE, attendance.leave, "退室を記録しました。"),
    "note": Command(Action.POST_STAFF_NOTE, notes.post_note, "スタッフメモを送信しました。"),
}

FORBIDDEN = "この操作を行う権限がありません。"


async def execute(
    hub, *, meetup_id: int, actor: Staff, name: str, form: Mapping[str, str], command_id: str
) -> Appended:
    """Run one command: permission, parse, append (idempotent by command id), publish.

    Raises Refused (nothing appended) when any step says no.
    """
    command = COMMANDS.get(name)
    if command is None:
        raise Refused("不明な操作です。", status=404)
    if not allowed(actor.role, command.action):
        raise Refused(FORBIDDEN, status=403)
    decide = command.prepare(form, actor)
    live = await hub.live(meetup_id)
    # Shielded: once the append has committed, the event is published even if the client
    # went away meanwhile. A duplicate is delivered too (the hub drops seqs it has), which
    # repairs an earlier attempt that committed but was never published.
    with anyio.CancelScope(shield=True):
        async with live.lock:
            appended = await anyio.to_thread.run_sync(
                partial(
                    eventlog.append,
                    hub.engine,
                    meetup_id=meetup_id,
                    command_id=command_id,
                    actor_id=actor.id,
                    state=live.state,
                    decide=decide,
                )
            )
            await hub.deliver(meetup_id, [appended.event])
    return appended
