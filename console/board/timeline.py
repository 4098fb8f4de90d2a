"""The timeline: one Japanese line per event, as each role may read it, and the staff notes."""

from datetime import datetime

from markupsafe import Markup

from console.board.view import View
from console.bridge import events as bev
from console.consultations import events as cev
from console.core.templating import jst, templates
from console.intake import events as iev
from console.intake.events import GateReason
from console.live.events import Recorded
from console.moderation import events as mev
from console.moderation.vocab import FlagReason, IncidentKind
from console.security.permissions import Action, allowed
from console.session import events as ev
from console.session.vocab import Mark, Post, Space
from console.workshop import events as wev


def _render(name: str, view: View, **extra) -> str:
    return templates.get_template(name).render(view.context(**extra))


LATE_SECONDS = 10  # a scheduled transition later than this was caught up after a restart
LIFECYCLE = ev.DoorsOpened | ev.MeetupStarted | ev.MeetupClosed
MODERATION = mev.ForcedExit | mev.ParticipantBlocked | mev.ParticipantUnblocked


def describe(event: Recorded, view: View) -> str | None:
    """One Japanese line for the timeline, or None when this role does not see the event."""
    d = view.directory
    body = event.body

    def who(pid: int) -> str:
        return f"「{d.participant_name(pid)}」さん" if view.names else "参加者"

    match body:
        case bev.AvatarTracked(participant_id=None, in_world=True, space=space) if space:
            text = f"未確認のアバターが{Space(space).label}にいます"
        case bev.AvatarTracked(participant_id=pid) if pid and event.actor_id is not None:
            text = f"未確認のアバターを{who(pid)}と確認しました"
        case bev.AvatarTracked():
            return None
        case bev.AvatarLinked(participant_id=pid, space=space):
            text = f"未確認のアバターを{who(pid)}と確認し、{Space(space).label}への入室としました"
        case ev.DoorsOpened():
            text = "入室受付を開始しました"
        case ev.WrapUpNoticed():
            text = "まもなく終了です(終了のお知らせ)"
        case ev.MeetupStarted():
            text = "開催を開始しました"
        case ev.MeetupClosed():
            text = "開催を終了しました(在室者は終了時刻で退室扱い)"
        case ev.StaffOnDuty(staff_id=sid, post=post):
            text = f"{d.staff_name(sid)}が勤務を開始しました({Post(post).label})"
        case ev.StaffPostChanged(staff_id=sid, post=post):
            text = f"{d.staff_name(sid)}の配置が{Post(post).label}になりました"
        case ev.StaffOffDuty(staff_id=sid):
            text = f"{d.staff_name(sid)}が勤務を終了しました"
        case ev.ParticipantEntered(participant_id=pid, space=space, late=late):
            text = f"{who(pid)}が{Space(space).label}に入室しました" + (
                "(途中参加)" if late else ""
            )
        case ev.ParticipantMoved(participant_id=pid, from_space=src, to_space=dst):
            text = f"{who(pid)}が{Space(src).label}から{Space(dst).label}へ移動しました"
        case ev.ParticipantMarked(participant_id=pid, mark=mark):
            if not view.names:
                return None
            text = f"{who(pid)}を「{Mark(mark).label}」にしました"
        case ev.ParticipantLeft(participant_id=pid):
            text = f"{who(pid)}が退室しました"
        case ev.StaffNotePosted():
            if not allowed(view.role, Action.VIEW_STAFF_NOTES):
                return None
            text = "スタッフメモが投稿されました"
        case cev.ConsultationRequested(participant_id=pid):
            text = f"{who(pid)}が個別相談を希望しました"
        case cev.ConsultationCancelled(participant_id=pid):
            text = f"{who(pid)}の相談希望を取り消しました"
        case cev.ConsultationStarted(room=room, counsellor_id=cid):
            text = f"個別相談室{room}で相談が始まりました(担当: {d.staff_name(cid)})"
        case cev.ConsultationEnded(room=room):
            text = f"個別相談室{room}の相談が終わりました"
        case (
            cev.ConsultationRecordSaved()
            | cev.HandoffPrepared()
            | cev.HandoffConfirmed()
            | cev.PhoneHandoffRecorded()
        ) if not allowed(view.role, Action.READ_RECORD):
            return None
        case cev.ConsultationRecordSaved(record_id=rid, amend_reason=amended) if amended:
            text = f"相談記録 C-{rid} を修正しました"
        case cev.ConsultationRecordSaved(record_id=rid, complete=complete):
            text = f"相談記録 C-{rid} を{'完成' if complete else '下書き保存'}しました"
        case cev.HandoffPrepared(record_id=rid):
            text = f"相談記録 C-{rid} の窓口への共有を作成しました(確認待ち)"
        case cev.HandoffConfirmed(record_id=rid):
            text = f"相談記録 C-{rid} の共有の宛先が確認され、送信します"
        case cev.PhoneHandoffRecorded(record_id=rid):
            text = f"相談記録 C-{rid} を電話で窓口に共有しました"
        case mev.ForcedExit(participant_id=pid, immediate=immediate):
            text = f"{who(pid)}が強制退室となりました" + ("(即時)" if immediate else "")
        case wev.GroupOpened(group=name):
            text = f"グループ「{name}」を作成しました"
        case wev.FacilitatorPosted(group=name, staff_id=sid):
            text = f"{d.staff_name(sid)}が「{name}」のファシリテーターになりました"
        case wev.MemberPosted(group=name, participant_id=pid):
            text = f"{who(pid)}が「{name}」に入りました"
        case wev.GroupClosed(group=name, unheard=unheard):
            text = f"グループ「{name}」を終了しました" + (
                f"(発言の機会がなかった方 {unheard}名)" if unheard else ""
            )
        case mev.IncidentRecorded(kind=kind):
            text = f"事故・トラブルが記録されました({IncidentKind(kind).label})"
        case _ if not view.moderates:
            return None
        case mev.FlagRaised(participant_id=pid, description=desc, reason=reason):
            subject = who(pid) if pid else f"「{desc}」"
            text = f"{subject}について通報がありました({FlagReason(reason).label})"
        case mev.FlagDismissed(reason=reason):
            return f"通報を対応不要として閉じました(理由: {reason})"
        case mev.WarningGiven(participant_id=pid, rule=rule):
            text = f"{who(pid)}に事前通告しました({FlagReason(rule).label})"
        case mev.ParticipantBlocked(participant_id=pid):
            text = f"{who(pid)}をブロックしました"
        case mev.ParticipantUnblocked(participant_id=pid):
            text = f"{who(pid)}のブロックを解除しました"
        case iev.GateRefused(participant_id=pid, reason=reason):
            subject = who(pid) if pid else "IDまたはパスワードを誤った方"
            text = f"入室ページで{subject}の入室をお断りしました({GateReason(reason).label})"
        case mev.EntryRefused(participant_id=pid):
            text = f"ブロック中の{who(pid)}の入室を拒否しました"
        case mev.ModerationNoteAdded(participant_id=pid):
            text = f"{who(pid)}について対応メモを記録しました"
        case _:
            return None
    # Reasons are typed for the staff: the ward reads that a forced exit happened, not why
    # (its report says what the manager wrote for it).
    shows_reason = isinstance(body, LIFECYCLE | MODERATION) and allowed(
        view.role, Action.VIEW_STAFF_NOTES
    )
    reason = getattr(body, "reason", "") if shows_reason else ""
    text = f"{text}(理由: {reason})" if reason else text
    planned = getattr(body, "scheduled_at", "")
    if planned and (event.at - datetime.fromisoformat(planned)).total_seconds() > LATE_SECONDS:
        text += (
            f"(予定時刻 {jst(datetime.fromisoformat(planned), '%H:%M:%S')} の処理を再開時に実施)"
        )
    elif planned:
        text += "(予定どおり自動)"
    return text


PRESENCE = ev.ParticipantEntered | ev.ParticipantMoved | ev.ParticipantLeft


def source(event: Recorded, view: View) -> str:
    """Who recorded the event: a staff member (a correction, when the metaverse platform
    tracks that participant), the platform, or the console itself."""
    if event.actor_id is not None:
        name = view.directory.staff_name(event.actor_id)
        pid = getattr(event.body, "participant_id", None)
        tracked = any(a.participant_id == pid for a in view.state.avatars.values())
        if pid is not None and tracked and isinstance(event.body, PRESENCE):
            return f"記録: {name}・メタバースの位置を職員が修正"
        return f"記録: {name}"
    if event.command_id.startswith("platform:"):
        return "記録: メタバース"
    return ""


def timeline_items(events: list[Recorded], view: View) -> Markup:
    return Markup("").join(
        Markup(
            _render(
                "board/fragments/timeline_item.html", view, event=e, text=text, by=source(e, view)
            )
        )
        for e in events
        if (text := describe(e, view)) is not None
    )


def note_items(events: list[Recorded], view: View) -> Markup:
    if not allowed(view.role, Action.VIEW_STAFF_NOTES):
        return Markup("")
    notes = [e for e in events if isinstance(e.body, ev.StaffNotePosted)]
    return Markup("").join(
        Markup(_render("board/fragments/note_item.html", view, event=e)) for e in notes
    )
