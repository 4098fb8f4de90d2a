"""The session's commands: the lifecycle, staff on duty, participants' presence, staff notes."""

from console.live.commands import Command
from console.security.permissions import Action
from console.session.commands import attendance, duty, lifecycle, notes

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
}
