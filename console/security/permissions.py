"""The one permission table. Every route and every command asks `allowed(role, action)`."""

from enum import StrEnum

from console.security.roles import Role


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
    RAISE_FLAG = "raise_flag"
    VIEW_MODERATION = "view_moderation"
    DISMISS_FLAG = "dismiss_flag"
    WARN = "warn"
    FORCE_EXIT = "force_exit"
    BLOCK = "block"
    UNBLOCK = "unblock"
    MODERATION_NOTE = "moderation_note"
    RECORD_INCIDENT = "record_incident"
    VIEW_WARD_REPORTS = "view_ward_reports"
    REQUEST_CONSULTATION = "request_consultation"
    TAKE_CONSULTATION = "take_consultation"
    VIEW_CONSULTATION_NAMES = "view_consultation_names"
    READ_RECORD = "read_record"
    WRITE_RECORD = "write_record"
    HANDOFF = "handoff"
    VIEW_REPORTS = "view_reports"
    VIEW_REPORT_NOTES = "view_report_notes"
    EDIT_MONTHLY = "edit_monthly"
    REVIEW_APPLICATIONS = "review_applications"
    ISSUE_CREDENTIALS = "issue_credentials"
    CHECK_RESIDENCY = "check_residency"
    VIEW_TERMS = "view_terms"
    DRAFT_TERMS = "draft_terms"
    APPROVE_TERMS = "approve_terms"
    ADMIT_WALK_IN = "admit_walk_in"
    VIEW_SURVEYS = "view_surveys"
    DRAFT_SURVEY = "draft_survey"
    APPROVE_SURVEY = "approve_survey"
    ATTACH_SURVEY = "attach_survey"
    ENTER_SURVEY_ANSWER = "enter_survey_answer"
    VIEW_SURVEY_RESULTS = "view_survey_results"
    READ_SURVEY_TEXT = "read_survey_text"
    FOLLOW_UP = "follow_up"
    OVERSEE_CARE = "oversee_care"
    SUPPORT_PLAN = "support_plan"
    LIAISON_PACK = "liaison_pack"
    VIEW_CARE_COUNTS = "view_care_counts"
    LINK_AVATAR = "link_avatar"
    VIEW_PLATFORM_HEALTH = "view_platform_health"
    VIEW_AUDIT = "view_audit"
    MANAGE_STAFF = "manage_staff"
    VIEW_DISPOSAL = "view_disposal"
    PREPARE_DISPOSAL = "prepare_disposal"
    APPROVE_DISPOSAL = "approve_disposal"
    WITHDRAW_DISPOSAL = "withdraw_disposal"
    MANAGE_WORKSHOP = "manage_workshop"
    RECORD_TURN = "record_turn"
    EDIT_STAFF_EXPERIENCE = "edit_staff_experience"


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
    Action.RAISE_FLAG: ON_SITE,
    # Open flags, warnings, per-participant moderation history: staff-only, and among the
    # staff those who act on them (spec 6(1)⑥: the facilitator hosts, the manager decides).
    Action.VIEW_MODERATION: frozenset({M, F}),
    Action.DISMISS_FLAG: frozenset({M, F}),
    Action.WARN: frozenset({M, F}),
    Action.FORCE_EXIT: frozenset({M}),
    Action.BLOCK: frozenset({M}),
    Action.UNBLOCK: frozenset({M}),
    Action.MODERATION_NOTE: frozenset({M, F}),
    Action.RECORD_INCIDENT: ON_SITE,
    # Forced-exit and incident reports are the ward's to read (and the manager's, who sends them).
    Action.VIEW_WARD_REPORTS: frozenset({M, W}),
    Action.REQUEST_CONSULTATION: ON_SITE,
    # Consultations (spec 6(1)①ウ, 7(6)): counsellors and the manager hold and read them; the
    # facilitator and support staff see only that one takes place; the ward sees counts.
    Action.TAKE_CONSULTATION: frozenset({M, C}),
    Action.VIEW_CONSULTATION_NAMES: frozenset({M, C}),
    Action.READ_RECORD: frozenset({M, C}),
    Action.WRITE_RECORD: frozenset({M, C}),
    Action.HANDOFF: frozenset({M, C}),
    # Post-session summaries and monthly reports (spec 6(7)): the manager writes and submits
    # them; the ward reads the figures (finalised monthly reports only), never staff notes.
    Action.VIEW_REPORTS: frozenset({M, W}),
    Action.VIEW_REPORT_NOTES: frozenset({M}),
    Action.EDIT_MONTHLY: frozenset({M}),
    # Intake (spec 6(1)④, 12): the operator's office receives applications and sends the
    # credentials (two people confirm each address); the ward checks residency and approves
    # the terms of use, and sees of an applicant only what the check needs.
    Action.REVIEW_APPLICATIONS: frozenset({M, S}),
    Action.ISSUE_CREDENTIALS: frozenset({M, S}),
    Action.CHECK_RESIDENCY: frozenset({W}),
    Action.VIEW_TERMS: frozenset({M, W}),
    Action.DRAFT_TERMS: frozenset({M}),
    Action.APPROVE_TERMS: frozenset({W}),
    # A walk-in without a checked application enters only on the manager's reason (6(3)④).
    Action.ADMIT_WALK_IN: frozenset({M}),
    # Surveys (spec 6(1)⑤, 6(7)②): the operator drafts, the ward approves before use; staff on
    # site type in answers given another way; the ward sees figures, never the free text.
    Action.VIEW_SURVEYS: frozenset({M, W}),
    Action.DRAFT_SURVEY: frozenset({M}),
    Action.APPROVE_SURVEY: frozenset({W}),
    Action.ATTACH_SURVEY: frozenset({M}),
    Action.ENTER_SURVEY_ANSWER: ON_SITE,
    Action.VIEW_SURVEY_RESULTS: frozenset({M, W}),
    Action.READ_SURVEY_TEXT: frozenset({M}),
    # Care after the session (spec 6(2), 6(6), 6(9)): on-site staff own and close follow-ups;
    # the manager oversees the overdue ones and exports the liaison pack; counsellors, support
    # staff and the manager keep step-up plans; the ward sees counts only.
    Action.FOLLOW_UP: ON_SITE,
    Action.OVERSEE_CARE: frozenset({M}),
    Action.SUPPORT_PLAN: frozenset({M, C, S}),
    Action.LIAISON_PACK: frozenset({M}),
    Action.VIEW_CARE_COUNTS: frozenset({M, W}),
    # The metaverse platform bridge: staff on site confirm who an unconfirmed avatar is; the
    # manager watches the bridge's health.
    Action.LINK_AVATAR: ON_SITE,
    Action.VIEW_PLATFORM_HEALTH: frozenset({M}),
    # The audit trail and the take-out records (12(4), 12(5)(エ)), the staff's accounts and
    # second factors: the manager, who answers for them to the ward.
    Action.VIEW_AUDIT: frozenset({M}),
    Action.MANAGE_STAFF: frozenset({M}),
    # Disposal at the contract's end (12(5)(オ)): the manager prepares and carries it out,
    # the ward approves it; both see it and its certificate.
    Action.VIEW_DISPOSAL: frozenset({M, W}),
    Action.PREPARE_DISPOSAL: frozenset({M}),
    Action.APPROVE_DISPOSAL: frozenset({W}),
    Action.WITHDRAW_DISPOSAL: frozenset({M, W}),
    # A family class's workshop (spec 6(4)⑥): the manager and facilitators make the groups and
    # post people; a group's facilitator ticks who has spoken (the manager may stand in).
    Action.MANAGE_WORKSHOP: frozenset({M, F}),
    Action.RECORD_TURN: frozenset({M, F}),
    # The staff's experience on record (spec 7(2), 6(4)⑥): the manager keeps it.
    Action.EDIT_STAFF_EXPERIENCE: frozenset({M}),
}


def allowed(role: str, action: Action) -> bool:
    return role in PERMISSIONS[action]
