"""Cues: one short spoken line for the events a person must not miss while looking elsewhere.

A cue is appended to the page's polite live region (`#live-announce`), so a screen reader
reads it once without interrupting; `static/console.js` drops cues of the person's own
actions (they already read the command's answer), keeps the region short, and plays the
optional sound for the kinds marked `sound`. Only new flags, new consultation requests and
staffing changes speak; everything else is on the timeline.
"""

from markupsafe import escape

from console.board.timeline import describe
from console.board.view import View
from console.consultations import events as cev
from console.live.events import Recorded
from console.moderation import events as mev
from console.moderation.vocab import FlagReason
from console.security.permissions import Action, allowed
from console.session import events as ev
from console.session.state import LiveState


def _who(view: View, pid: int) -> str:
    if not view.names:
        return "参加者"
    person = view.directory.participants.get(pid)
    return f"{person.display_name}({person.code})" if person else "参加者"


def _unmet(view: View) -> int:
    return sum(1 for rule, _since in view.compliance() if not rule.met)


def _staffing(event: Recorded, view: View, before: LiveState) -> str:
    line = describe(event, view) or ""
    was = _unmet(View(view.meetup, before, view.role, view.directory))
    now = _unmet(view)
    if now and now != was:
        line += f"。配置基準: {now}項目が未充足です"
    elif was and not now:
        line += "。配置基準をすべて満たしました"
    return line


def text(event: Recorded, view: View, before: LiveState) -> tuple[str, str] | None:
    """The cue's words and kind (`flag`, `consult`, `staffing`), or None for no cue."""
    body = event.body
    match body:
        case mev.FlagRaised(participant_id=pid, description=desc, reason=reason) if view.moderates:
            subject = _who(view, pid) if pid else f"特定できないアバター「{desc}」"
            count = len(view.state.open_flags)
            words = (
                f"新しい通報: {subject}({FlagReason(reason).label})。未対応の通報は{count}件です"
            )
            return words, "flag"
        case cev.ConsultationRequested(participant_id=pid) if allowed(
            view.role, Action.REQUEST_CONSULTATION
        ):
            words = f"相談希望: {_who(view, pid)}。順番待ちは{len(view.state.queue)}名です"
            return words, "consult"
        case ev.StaffOnDuty() | ev.StaffPostChanged() | ev.StaffOffDuty():
            return _staffing(event, view, before), "staffing"
    return None


def cue(event: Recorded, view: View, before: LiveState) -> str:
    """The out-of-band swap that adds the cue of `event` to `#live-announce`, or ''."""
    found = text(event, view, before)
    if found is None:
        return ""
    words, kind = found
    actor = "" if event.actor_id is None else f' data-actor="{event.actor_id}"'
    return (
        f'<div hx-swap-oob="beforeend:#live-announce">'
        f'<p data-cue="{kind}" data-seq="{event.seq}"{actor}>{escape(words)}。</p></div>'
    )
