"""The Jinja environment every page, panel and export renders with, and its date filters.

Templates live in `templates/<domain>/` (fragments in `templates/<domain>/fragments/`);
`base.html`, `error.html` and `result.html` are shared. Globals that name domain vocabularies
and the permission check `can` are added by the composition root.
"""

from datetime import datetime

from starlette.templating import Jinja2Templates

from console.settings import ROOT, TZ

templates = Jinja2Templates(directory=ROOT / "templates")

WEEKDAYS = "月火水木金土日"


def jst(value: datetime | None, fmt: str = "%H:%M") -> str:
    return value.astimezone(TZ).strftime(fmt) if value else ""


def jst_date(value) -> str:
    return f"{value:%Y年%-m月%-d日}({WEEKDAYS[value.weekday()]})"


templates.env.filters["jst"] = jst
templates.env.filters["jst_date"] = jst_date
