"""What counts as a breach (spec 6(1)⑥エ) and what counts as an incident (spec 9)."""

from console.core.labels import Labelled


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
