"""Every command staff can give during a meetup, and the one way to run them.

A command parses its form (bad input is refused before any transaction), then hands the
event log a `decide` function that validates against the live state inside the append
transaction. The hub publishes the event only after it is committed.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import anyio

from console import eventlog, reports
from console import events as ev
from console.commands import (
    attendance,
    consultations,
    duty,
    incidents,
    lifecycle,
    moderation,
    notes,
)
from console.eventlog import Appended, Decide, Refused
from console.models import Staff
from console.permissions import Action, allowed

log = logging.getLogger(__name__)


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
    "wrap_up": Command(
        Action.MEETUP_LIFECYCLE, lifecycle.wrap_up, "終了のお知らせを全画面に出しました。"
    ),
    "close": Command(Action.MEETUP_LIFECYCLE, lifecycle.close, "開催を終了しました。"),
    "duty_on": Command(Action.STAFF_DUTY, duty.on_duty, "勤務開始を記録しました。"),
    "duty_post": Command(Action.STAFF_DUTY, duty.change_post, "配置変更を記録しました。"),
    "duty_off": Command(Action.STAFF_DUTY, duty.off_duty, "勤務終了を記録しました。"),
    "enter": Command(Action.PARTICIPANT_ENTER, attendance.enter, "入室を記録しました。"),
    "move": Command(Action.PARTICIPANT_MOVE, attendance.move, "移動を記録しました。"),
    "mark": Command(Action.PARTICIPANT_MARK, attendance.mark, "状態を記録しました。"),
    "leave": Command(Action.PARTICIPANT_LEAVE, attendance.leave, "退室を記録しました。"),
    "note": Command(Action.POST_STAFF_NOTE, notes.post_note, "スタッフメモを送信しました。"),
    "flag": Command(
        Action.RAISE_FLAG, moderation.flag, "通報しました。管理者とファシリテーターに表示されます。"
    ),
    "dismiss_flag": Command(
        Action.DISMISS_FLAG, moderation.dismiss_flag, "通報を対応不要として閉じました。"
    ),
    "warn": Command(Action.WARN, moderation.warn, "事前通告を記録しました。"),
    "force_exit": Command(
        Action.FORCE_EXIT,
        moderation.force_exit,
        "強制退室を記録しました。区への報告を作成しました。",
    ),
    "block": Command(
        Action.BLOCK, moderation.block, "ブロックしました。以後の開催回に入室できません。"
    ),
    "unblock": Command(Action.UNBLOCK, moderation.unblock, "ブロックを解除しました。"),
    "moderation_note": Command(
        Action.MODERATION_NOTE, moderation.moderation_note, "対応メモを記録しました。"
    ),
    "incident": Command(
        Action.RECORD_INCIDENT,
        incidents.record_incident,
        "事故・トラブルを記録しました。区への報告を作成しました。",
    ),
    "consult_request": Command(
        Action.REQUEST_CONSULTATION,
        consultations.request,
        "相談希望を記録しました。順番待ちに追加しました。",
    ),
    "consult_cancel": Command(
        Action.REQUEST_CONSULTATION, consultations.cancel, "相談希望を取り消しました。"
    ),
    "consult_take": Command(
        Action.TAKE_CONSULTATION,
        consultations.take,
        "相談を開始しました。相談記録(下書き)を作成しました。",
    ),
    "consult_end": Command(
        Action.TAKE_CONSULTATION,
        consultations.end,
        "相談を終了しました。相談記録を記入してください。",
    ),
    "record_save": Command(
        Action.WRITE_RECORD, consultations.save_record, "相談記録を保存しました。"
    ),
    "handoff_prepare": Command(
        Action.HANDOFF,
        consultations.prepare_handoff,
        "共有内容を作成しました。別の職員が宛先を確認すると送信されます。",
    ),
    "handoff_confirm": Command(
        Action.HANDOFF, consultations.confirm_handoff, "宛先を確認しました。メールを送信します。"
    ),
    "handoff_phone": Command(
        Action.HANDOFF, consultations.phone_handoff, "電話での共有を記録しました。"
    ),
}

ENTRY_REFUSED = "ブロック中の参加者のため入室できません。管理者の画面に表示しました。"


def outcome(name: str, appended: Appended) -> tuple[str, int]:
    """The Japanese message and HTTP status that answer a command that appended an event."""
    if appended.event.type == ev.EntryRefused.type:
        return ENTRY_REFUSED, 422
    message = COMMANDS[name].done
    if appended.duplicate:
        message += "(同じ操作の再送信のため、記録は1件のみです)"
    return message, 200


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
    return await append_and_publish(
        hub, meetup_id=meetup_id, actor_id=actor.id, command_id=command_id, decide=decide
    )


async def append_and_publish(
    hub, *, meetup_id: int, actor_id: int | None, command_id: str, decide: Decide
) -> Appended:
    """Append (idempotent by command id) under the meetup's lock, then publish.

    Shielded: once the append has committed, the event is published even if the caller went
    away meanwhile. A duplicate is delivered too (the hub drops seqs it has), which repairs an
    earlier attempt that committed but was never published.
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
                    actor_id=actor_id,
                    state=live.state,
                    decide=decide,
                )
            )
            await hub.deliver(meetup_id, [appended.event])
    if isinstance(appended.event.body, ev.MeetupClosed) and not appended.duplicate:
        # The session's figures, computed once now, so its summary and every later report
        # over it read them instead of its whole log (if this fails, reports compute them).
        try:
            await anyio.to_thread.run_sync(reports.keep_figures, hub.engine, meetup_id)
        except Exception:
            log.exception("could not keep the figures of meetup %s", meetup_id)
    return appended
