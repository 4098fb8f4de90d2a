"""Staff roles and the qualifications of spec 7(1)."""

from console.core.labels import Labelled


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
