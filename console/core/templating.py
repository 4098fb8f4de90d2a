"""The Jinja environment every page, panel and export renders with, and its date filters.

Templates live in `templates/<domain>/` (fragments in `templates/<domain>/fragments/`);
`base.html`, `error.html` and `result.html` are shared. Globals that name domain vocabularies
and the permission check `can` are added by the composition root.
"""

from datetime import datetime

from starlette.templating import Jinja2Templates

from console import settings
from console.settings import ROOT, TZ

templates = Jinja2Templates(directory=ROOT / "templates")
# Templates ship with the code: no stat() of the file before every render to see if it changed.
templates.env.auto_reload = False

WEEKDAYS = "月火水木金土日"


def jst(value: datetime | None, fmt: str = "%H:%M") -> str:
    """A time of day in Asia/Tokyo (times within one session's day)."""
    return value.astimezone(TZ).strftime(fmt) if value else ""


def jst_date(value) -> str:
    """A date the one way every page and document writes it: 2026年11月27日(金). A datetime
    is taken in Asia/Tokyo."""
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date()
    return f"{value:%Y年%-m月%-d日}({WEEKDAYS[value.weekday()]})"


def jst_datetime(value: datetime | None) -> str:
    """A moment the one way every page and document writes it: 2026年11月27日(金) 08:47."""
    return f"{jst_date(value)} {jst(value)}" if value else ""


templates.env.filters["jst"] = jst
templates.env.filters["jst_date"] = jst_date
templates.env.filters["jst_datetime"] = jst_datetime


def public_contact() -> str:
    """Where participants ask (read when rendering: the demo sets one at start-up)."""
    return settings.PUBLIC_CONTACT


templates.env.globals["public_contact"] = public_contact


def pdf_of(html: str) -> bytes:
    """An A4 print page (HTML with its own print CSS) as PDF bytes. WeasyPrint is imported on
    use: it loads Pango, which takes a moment, and only the PDF exports need it."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
