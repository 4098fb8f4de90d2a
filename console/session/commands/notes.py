"""The staff-only channel (spec 7(1): counsellors and staff share information)."""

from collections.abc import Mapping

from sqlmodel import Session

from console.core import forms
from console.live.eventlog import Decide
from console.security.models import Staff
from console.session import events as ev
from console.session.state import LiveState

NOTE_MAX = 2000


def post_note(form: Mapping[str, str], actor: Staff) -> Decide:
    text = forms.text(form, "text", label="メモ", max_len=NOTE_MAX)
    for_report = forms.checkbox(form, "for_report")

    def decide(db: Session, state: LiveState) -> ev.Body:
        return ev.StaffNotePosted(text=text, for_report=for_report)

    return decide
