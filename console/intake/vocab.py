"""The intake's vocabularies: who applies, how, and where an application stands."""

from console.core.labels import Labelled


class ApplicantKind(Labelled):
    """Spec 5(2): the person in withdrawal themselves, or a family member of one."""

    SELF = "self", "ご本人(当事者)"
    FAMILY = "family", "ご家族"


class Channel(Labelled):
    """How the application reached us: the web form, or staff entering it for the applicant."""

    WEB = "web", "インターネット"
    PHONE = "phone", "電話"
    EMAIL = "email", "メール"
    PAPER = "paper", "紙・窓口"


class ApplicationStatus(Labelled):
    RECEIVED = "received", "受付"
    CHECKING = "checking", "区へ確認中"
    CONFIRMED = "confirmed", "確認済"
    INELIGIBLE = "ineligible", "対象外"
    CREDENTIALS_SENT = "sent", "ID送付済"
    WITHDRAWN = "withdrawn", "取下げ"


class Residency(Labelled):
    """The ward's residency check of a person, for one fiscal year."""

    UNCHECKED = "unchecked", "未確認"
    CONFIRMED = "confirmed", "確認済"
    INELIGIBLE = "ineligible", "対象外"
