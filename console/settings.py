"""Configuration from the environment (and an optional `.env` file).

Every setting is documented in README.md; `tests/test_docs.py` fails when one is not.
"""

from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.config import Config
from starlette.datastructures import Secret

ROOT = Path(__file__).resolve().parent.parent
config = Config(ROOT / ".env" if (ROOT / ".env").exists() else None)

DATABASE_URL: str = config("DATABASE_URL", default=f"sqlite:///{ROOT / 'var' / 'console.db'}")
COOKIE_SECURE: bool = config("COOKIE_SECURE", cast=bool, default=False)
ALLOWED_ORIGINS: list[str] = [
    o.strip() for o in config("ALLOWED_ORIGINS", default="").split(",") if o.strip()
]
SESSION_HOURS: int = config("SESSION_HOURS", cast=int, default=12)
LOGIN_FREE_FAILURES: int = config("LOGIN_FREE_FAILURES", cast=int, default=5)
LOGIN_FIRST_DELAY_SECONDS: float = config("LOGIN_FIRST_DELAY_SECONDS", cast=float, default=30.0)
LOGIN_MAX_DELAY_SECONDS: float = config("LOGIN_MAX_DELAY_SECONDS", cast=float, default=900.0)
REAUTH_MINUTES: float = config("REAUTH_MINUTES", cast=float, default=10.0)
# How long each kind of personal data is kept (days) before a disposal run is due (12(5)(オ)).
RETENTION_PARTICIPANT_DAYS: int = config("RETENTION_PARTICIPANT_DAYS", cast=int, default=1825)
RETENTION_CONSULTATION_DAYS: int = config("RETENTION_CONSULTATION_DAYS", cast=int, default=1825)
RETENTION_CARE_DAYS: int = config("RETENTION_CARE_DAYS", cast=int, default=1825)
RETENTION_LOG_DAYS: int = config("RETENTION_LOG_DAYS", cast=int, default=1825)
FORWARDED_ALLOW_IPS: str = config("FORWARDED_ALLOW_IPS", default="")
LIVE_QUEUE_SIZE: int = config("LIVE_QUEUE_SIZE", cast=int, default=256)
LIVE_HEARTBEAT_SECONDS: float = config("LIVE_HEARTBEAT_SECONDS", cast=float, default=20.0)
LIVE_REPLAY_LIMIT: int = config("LIVE_REPLAY_LIMIT", cast=int, default=500)
LIVE_SEND_TIMEOUT_SECONDS: float = config("LIVE_SEND_TIMEOUT_SECONDS", cast=float, default=10.0)

SMTP_HOST: str = config("SMTP_HOST", default="")
SMTP_PORT: int = config("SMTP_PORT", cast=int, default=587)
SMTP_STARTTLS: bool = config("SMTP_STARTTLS", cast=bool, default=True)
SMTP_USERNAME: str = config("SMTP_USERNAME", default="")
SMTP_PASSWORD: Secret = config("SMTP_PASSWORD", cast=Secret, default="")
MAIL_FROM: str = config("MAIL_FROM", default="session-console@localhost")
WARD_REPORT_ADDRESS: str = config("WARD_REPORT_ADDRESS", default="")
OUTBOX_INTERVAL_SECONDS: float = config("OUTBOX_INTERVAL_SECONDS", cast=float, default=15.0)
OUTBOX_RETRY_BASE_SECONDS: float = config("OUTBOX_RETRY_BASE_SECONDS", cast=float, default=30.0)
SCHEDULER_ELECTION_SECONDS: float = config("SCHEDULER_ELECTION_SECONDS", cast=float, default=5.0)

WRAP_UP_MINUTES: float = config("WRAP_UP_MINUTES", cast=float, default=15.0)
DATA_KEY_FILE: str = config("DATA_KEY_FILE", default=str(ROOT / "var" / "data.key"))
DATA_KEYS: Secret = config("DATA_KEYS", cast=Secret, default="")
DATA_INDEX_KEY: Secret = config("DATA_INDEX_KEY", cast=Secret, default="")
PUBLIC_BASE_URL: str = config("PUBLIC_BASE_URL", default="")
METAVERSE_URL: str = config("METAVERSE_URL", default="")
# Where a participant or applicant asks, on their pages and in their emails: one line such as
# 「港区ひきこもり居場所支援 事務局 電話 03-XXXX-XXXX(平日 9時〜17時)」.
PUBLIC_CONTACT: str = config("PUBLIC_CONTACT", default="")
APPLY_LIMIT_PER_HOUR: int = config("APPLY_LIMIT_PER_HOUR", cast=int, default=10)
SURVEY_DAYS_OPEN: int = config("SURVEY_DAYS_OPEN", cast=int, default=7)
PORT: int = config("PORT", cast=int, default=8000)
HELPLINE_ADDRESS: str = config("HELPLINE_ADDRESS", default="")
REPORT_ISSUER: str = config("REPORT_ISSUER", default="受託事業者")
REPORT_ADDRESSEE: str = config("REPORT_ADDRESSEE", default="港区 保健福祉支援部 生活福祉調整課")
CONSULTATION_TOPICS: list[str] = [
    t.strip()
    for t in config(
        "CONSULTATION_TOPICS", default="生活,家族関係,就労,就学,健康,居場所,その他"
    ).split(",")
    if t.strip()
]

FOLLOW_UP_DAYS: int = config("FOLLOW_UP_DAYS", cast=int, default=7)
UNSHARED_AFTER_DAYS: int = config("UNSHARED_AFTER_DAYS", cast=int, default=3)
HELPLINE_CONSENT_REQUIRED: bool = config("HELPLINE_CONSENT_REQUIRED", cast=bool, default=True)
PLATFORM_WEBHOOK_SECRETS: list[str] = [
    s.strip()
    for s in str(config("PLATFORM_WEBHOOK_SECRETS", cast=Secret, default="")).split(",")
    if s.strip()
]
PLATFORM_MAX_BODY_BYTES: int = config("PLATFORM_MAX_BODY_BYTES", cast=int, default=16384)
PLATFORM_QUIET_MINUTES: float = config("PLATFORM_QUIET_MINUTES", cast=float, default=10.0)

TZ = ZoneInfo("Asia/Tokyo")


def configured(name: str) -> bool:
    """True when `name` is set (in the environment or `.env`), not left at its default."""
    return name in config.environ or name in config.file_values
