"""The domain's fixed vocabularies, each value with the Japanese label staff read."""

from enum import StrEnum


class Labelled(StrEnum):
    """A string enum whose members carry a Japanese label."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def parse(cls, value: str | None):
        """The member for `value`, or None when it is not one of ours."""
        try:
            return cls(value or "")
        except ValueError:
            return None


class Role(Labelled):
    MANAGER = "manager", "管理者"
    FACILITATOR = "facilitator", "ファシリテーター"
    COUNSELLOR = "counsellor", "相談員"
    SUPPORT = "support", "支援員"
    WARD = "ward", "区職員"


class Qualification(Labelled):
    """Spec 7(1): the six qualifications that make a counsellor 専門相談員, or a peer counsellor."""

    SOCIAL_WORKER = "social_worker", "社会福祉士"
    MENTAL_HEALTH_SOCIAL_WORKER = "psw", "精神保健福祉士"
    CERTIFIED_PSYCHOLOGIST = "certified_psychologist", "公認心理師"
    CLINICAL_PSYCHOLOGIST = "clinical_psychologist", "臨床心理士"
    PUBLIC_HEALTH_NURSE = "public_health_nurse", "保健師"
    NURSE = "nurse", "看護師"
    PEER = "peer", "ピア相談員(経験者)"

    @property
    def qualified(self) -> bool:
        return self is not Qualification.PEER


class Space(Labelled):
    EXCHANGE = "exchange", "交流スペース"
    CONSULTATION = "consultation", "個別相談室"
    REST = "rest", "休憩スペース"
    INFO = "info", "情報提供スペース"


class Post(Labelled):
    """Where a staff member on duty is posted: a space, or overall (統括)."""

    EXCHANGE = "exchange", "交流スペース"
    CONSULTATION = "consultation", "個別相談室"
    REST = "rest", "休憩スペース"
    INFO = "info", "情報提供スペース"
    OVERALL = "overall", "全体・統括"


class MeetupKind(Labelled):
    METAVERSE = "metaverse", "メタバース居場所"
    IN_PERSON = "in_person", "対面の居場所"
    FAMILY_CLASS = "family_class", "家族教室"


class MeetupStatus(Labelled):
    SCHEDULED = "scheduled", "開始前"
    DOORS_OPEN = "doors_open", "入室受付中"
    IN_SESSION = "in_session", "開催中"
    CLOSED = "closed", "終了"


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


class Gender(Labelled):
    FEMALE = "female", "女性"
    MALE = "male", "男性"
    OTHER = "other", "その他"
    UNANSWERED = "unanswered", "回答なし・不明"


class FlagReason(Labelled):
    """Spec 6(1)⑥エ: what counts as a breach of the terms of use."""

    PERSONAL_INFO = "personal_info", "私的な個人情報の聞き取り"
    SOLICITATION = "solicitation", "政治・宗教等の勧誘"
    ABUSE = "abuse", "悪口雑言"
    OTHER = "other", "その他の利用規約違反"


class IncidentKind(Labelled):
    """Spec 9: disputes and accidents, suspected leaks of personal data, anything unforeseen."""

    DISPUTE = "dispute", "紛争・参加者間のトラブル"
    ACCIDENT = "accident", "事故・体調不良"
    DATA_LEAK = "data_leak", "個人情報の漏えい(疑いを含む)"
    SYSTEM = "system", "機器・通信の障害"
    OTHER = "other", "その他の不測の事態"
