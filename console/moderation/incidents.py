"""事故・トラブル (spec 9): recorded by any staff on site, seen live, reported to the ward."""

from collections.abc import Mapping

from sqlmodel import Session

from console.core import forms
from console.live.eventlog import Decide
from console.moderation import events as ev
from console.moderation import wardreports
from console.moderation.vocab import IncidentKind
from console.security.models import Staff
from console.session.state import LiveState

TEXT_MAX = 2000


def record_incident(form: Mapping[str, str], actor: Staff) -> Decide:
    kind = forms.choice(form, "kind", IncidentKind, label="種別")
    what = forms.text(form, "what", label="何が起きたか", max_len=TEXT_MAX)
    actions = forms.text(form, "actions", label="行った対応", max_len=TEXT_MAX)
    police = forms.checkbox(form, "police")
    fire = forms.checkbox(form, "fire")
    for_ward = wardreports.text_for_ward(form)

    def decide(db: Session, state: LiveState):
        body = ev.IncidentRecorded(
            kind=kind, what=what, police=police, fire=fire, actions=actions, for_ward=for_ward
        )
        return body, wardreports.incident

    return decide
