"""The care domain's fixed vocabularies."""

from console.core.labels import Labelled


class Why(Labelled):
    """Why a follow-up exists."""

    CONSULTATION = "consultation", "相談後"
    FORCED_EXIT = "forced_exit", "強制退室後"
    DROP_OUT = "drop_out", "離脱後(アフターケア)"
    STAFF_NOTE = "staff_note", "職員メモから"
    BY_HAND = "by_hand", "手動で登録"


class Outcome(Labelled):
    """How a follow-up ended. `NOTE_REQUIRED` outcomes need a note saying what happened."""

    REACHED = "reached", "連絡した"
    NOT_REACHED = "not_reached", "つながらなかった"
    NOT_NEEDED = "not_needed", "不要になった"
    HANDED_ON = "handed_on", "他機関へつないだ"
    OTHER = "other", "その他"


NOTE_REQUIRED = frozenset(
    {Outcome.NOT_REACHED, Outcome.NOT_NEEDED, Outcome.HANDED_ON, Outcome.OTHER}
)


class Wish(Labelled):
    """Where a participant wishes to move on to (spec 6(2)②)."""

    PLACE = "place", "対面の居場所"
    CONSULTATION = "consultation", "相談"
    WORK = "work", "就労"
    OTHER = "other", "その他の活動"


class StageKind(Labelled):
    """The kinds of stage a step-up plan is made of (spec 6(2)③, 6(9))."""

    PREP_TALK = "prep_talk", "事前の面談"
    ACCOMPANY = "accompany", "同行支援"
    TRIAL = "trial", "試行的な参加"
    CHECK_IN = "check_in", "初回参加後の確認"
    OTHER = "other", "その他"


class StageResult(Labelled):
    DONE = "done", "実施した"
    POSTPONED = "postponed", "延期した"
    MISSED = "missed", "実施できなかった"


class PlanStatus(Labelled):
    ACTIVE = "active", "支援中"
    MOVED_ON = "moved_on", "移行した"
    DROPPED_OUT = "dropped_out", "離脱"
