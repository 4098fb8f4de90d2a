"""A meetup's vocabularies: kinds, statuses, spaces, posts, marks, and participants' attributes."""

from console.core.labels import Labelled


class MeetupKind(Labelled):
    METAVERSE = "metaverse", "メタバース居場所"
    IN_PERSON = "in_person", "対面の居場所"
    FAMILY_CLASS = "family_class", "家族教室"


class MeetupStatus(Labelled):
    SCHEDULED = "scheduled", "開始前"
    DOORS_OPEN = "doors_open", "入室受付中"
    IN_SESSION = "in_session", "開催中"
    CLOSED = "closed", "終了"


class Space(Labelled):
    """Where a participant is. Each kind of meetup has its own spaces (`spaces_of`)."""

    EXCHANGE = "exchange", "交流スペース"
    CONSULTATION = "consultation", "個別相談室"
    REST = "rest", "休憩スペース"
    INFO = "info", "情報提供スペース"
    DIALOGUE = "dialogue", "対話交流スペース"
    QUIET = "quiet", "対話を望まないスペース"
    LECTURE = "lecture", "講義"
    WORKSHOP = "workshop", "グループワーク"


class Post(Labelled):
    """Where a staff member on duty is posted: a space, or overall (統括)."""

    EXCHANGE = "exchange", "交流スペース"
    CONSULTATION = "consultation", "個別相談室"
    REST = "rest", "休憩スペース"
    INFO = "info", "情報提供スペース"
    DIALOGUE = "dialogue", "対話交流スペース"
    QUIET = "quiet", "対話を望まないスペース"
    LECTURE = "lecture", "講義"
    WORKSHOP = "workshop", "グループワーク"
    OVERALL = "overall", "全体・統括"


SPACES: dict[str, tuple[Space, ...]] = {
    MeetupKind.METAVERSE: (Space.EXCHANGE, Space.CONSULTATION, Space.REST, Space.INFO),
    # Spec 6(3)②: a space for dialogue and one for those who do not wish to talk.
    MeetupKind.IN_PERSON: (Space.DIALOGUE, Space.QUIET, Space.CONSULTATION),
    # Spec 6(4)③: the lecture, the workshop (in named groups), individual consultation.
    MeetupKind.FAMILY_CLASS: (Space.LECTURE, Space.WORKSHOP, Space.CONSULTATION),
}


def spaces_of(kind: str) -> tuple[Space, ...]:
    """The spaces of a kind of meetup, in the order the board shows them."""
    return SPACES.get(kind, SPACES[MeetupKind.METAVERSE])


def posts_of(kind: str) -> tuple[Post, ...]:
    """Where staff may be posted in a kind of meetup: its spaces, and overall."""
    return (*(Post(s.value) for s in spaces_of(kind)), Post.OVERALL)


class Relation(Labelled):
    """A family member's relation to the person in withdrawal (家族教室の参加者)."""

    MOTHER = "mother", "母"
    FATHER = "father", "父"
    SIBLING = "sibling", "きょうだい"
    SPOUSE = "spouse", "配偶者"
    CHILD = "child", "子"
    OTHER = "other", "その他の親族等"
    UNKNOWN = "unknown", "続柄不明"

    @classmethod
    def of_text(cls, text: str) -> "Relation":
        """The relation a free-text answer (「母」「父親」「兄」…) names, or UNKNOWN."""
        text = (text or "").strip()
        if any(w in text for w in ("祖", "叔", "伯", "義")):  # grandparents, aunts, in-laws
            return cls.OTHER
        words = {
            cls.MOTHER: ("母",),
            cls.FATHER: ("父",),
            cls.SIBLING: ("兄", "弟", "姉", "妹", "きょうだい"),
            cls.SPOUSE: ("配偶者", "夫", "妻"),
            cls.CHILD: ("息子", "娘", "子"),
        }
        for relation, found in words.items():
            if any(w in text for w in found):
                return relation
        return cls.OTHER if text else cls.UNKNOWN


class Mark(Labelled):
    TALKING = "talking", "発言・交流中"
    LISTENING = "listening", "聞くだけ(交流を希望しない)"
    ATTENTION = "attention", "要配慮"
    ATTENTION_RESOLVED = "attention_resolved", "要配慮を解除"


class District(Labelled):
    """Minato City's five area districts (総合支所), plus outside and unknown."""

    SHIBA = "shiba", "芝"
    AZABU = "azabu", "麻布"
    AKASAKA = "akasaka", "赤坂"
    TAKANAWA = "takanawa", "高輪"
    SHIBAURA_KONAN = "shibaura_konan", "芝浦港南"
    OUTSIDE = "outside", "区外"
    UNKNOWN = "unknown", "不明"


class AgeBracket(Labelled):
    TEENS = "10s", "10代"
    TWENTIES = "20s", "20代"
    THIRTIES = "30s", "30代"
    FORTIES = "40s", "40代"
    FIFTIES = "50s", "50代"
    SIXTIES_PLUS = "60plus", "60代以上"
    UNKNOWN = "unknown", "不明"

    @classmethod
    def of_age(cls, age: int) -> "AgeBracket":
        if age < 20:
            return cls.TEENS
        if age >= 60:
            return cls.SIXTIES_PLUS
        return cls(f"{age // 10 * 10}s")


class Gender(Labelled):
    FEMALE = "female", "女性"
    MALE = "male", "男性"
    OTHER = "other", "その他"
    UNANSWERED = "unanswered", "回答なし・不明"
