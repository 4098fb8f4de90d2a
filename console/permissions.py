"""The one permission table. Every route and every command asks `allowed(role, action)`."""

from enum import StrEnum

from console.vocab import Role


class Action(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_PARTICIPANT_NAMES = "view_participant_names"
    VIEW_STAFF_NOTES = "view_staff_notes"
    MANAGE_PARTICIPANTS = "manage_participants"
    MANAGE_MEETUPS = "manage_meetups"
    MEETUP_LIFECYCLE = "meetup_lifecycle"
    STAFF_DUTY = "staff_duty"
    PARTICIPANT_ENTER = "participant_enter"
    PARTICIPANT_MOVE = "participant_move"
    PARTICIPANT_MARK = "participant_mark"
    PARTICIPANT_LEAVE = "participant_leave"
    POST_STAFF_NOTE = "post_staff_note"


M, F, C, S, W = Role.MANAGER, Role.FACILITATOR, Role.COUNSELLOR, Role.SUPPORT, Role.WARD
ON_SITE = frozenset({M, F, C, S})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_DASHBOARD: frozenset({M, F, C, S, W}),
    Action.VIEW_PARTICIPANT_NAMES: ON_SITE,
    Action.VIEW_STAFF_NOTES: ON_SITE,
    Action.MANAGE_PARTICIPANTS: frozenset({M, S}),
    Action.MANAGE_MEETUPS: frozenset({M}),
    Action.MEETUP_LIFECYCLE: frozenset({M}),
    Action.STAFF_DUTY: ON_SITE,
    Action.PARTICIPANT_ENTER: ON_SITE,
    Action.PARTICIPANT_MOVE: ON_SITE,
    Action.PARTICIPANT_MARK: ON_SITE,
    Action.PARTICIPANT_LEAVE: ON_SITE,
    Action.POST_STAFF_NOTE: ON_SITE,
}


def allowed(role: str, action: Action) -> bool:
    return role in PERMISSIONS[action]
