"""What consultations hand the live engine. A consultation ends with its participant: leaving,
a forced exit and the close each end the record of a consultation still open."""

from console.consultations import commands, sharing
from console.consultations import events as ev
from console.consultations.state import FOLDS, settle_consultations
from console.live.commands import Command
from console.live.registry import Domain
from console.moderation import events as mev
from console.security.permissions import Action
from console.session import events as sev

COMMANDS: dict[str, Command] = {
    "consult_request": Command(
        Action.REQUEST_CONSULTATION,
        commands.request,
        "相談希望を記録しました。順番待ちに追加しました。",
    ),
    "consult_cancel": Command(
        Action.REQUEST_CONSULTATION, commands.cancel, "相談希望を取り消しました。"
    ),
    "consult_take": Command(
        Action.TAKE_CONSULTATION,
        commands.take,
        "相談を開始しました。相談記録(下書き)を作成しました。",
    ),
    "consult_end": Command(
        Action.TAKE_CONSULTATION,
        commands.end,
        "相談を終了しました。相談記録を記入してください。",
    ),
    "record_save": Command(Action.WRITE_RECORD, commands.save_record, "相談記録を保存しました。"),
    "handoff_prepare": Command(
        Action.HANDOFF,
        sharing.prepare_handoff,
        "共有内容を作成しました。別の職員が宛先を確認すると送信されます。",
    ),
    "handoff_confirm": Command(
        Action.HANDOFF, sharing.confirm_handoff, "宛先を確認しました。メールを送信します。"
    ),
    "handoff_phone": Command(Action.HANDOFF, sharing.phone_handoff, "電話での共有を記録しました。"),
    "share_waive": Command(
        Action.HANDOFF, sharing.waive_sharing, "「共有不要」として記録しました。"
    ),
}

DOMAIN = Domain(
    name="consultations",
    events=ev.EVENTS,
    folds=FOLDS,
    settle=(settle_consultations,),
    commands=COMMANDS,
    reactions={
        sev.ParticipantLeft.type: (commands.end_open_consultation,),
        mev.ForcedExit.type: (commands.end_open_consultation,),
        sev.MeetupClosed.type: (commands.end_open_consultations,),
    },
)
