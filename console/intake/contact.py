"""Where a participant or applicant asks (`settings.PUBLIC_CONTACT`), said the same way on the
gate's refusal and in every email they get; the participant pages show it in their footer."""

from console import settings


def ask() -> str:
    contact = settings.PUBLIC_CONTACT
    if contact:
        return f"ご不明な点は、{contact} までお問い合わせください。"
    return "ご不明な点は、区の窓口へお問い合わせください。"
