"""Pages and downloads for the post-session summary and the monthly report.

Who reads what is decided by the permission table and `audience`: the manager reads everything
(staff notes too), the ward reads exact figures of finalised reports, and either may take the
for-publication variant. Every view and download leaves an audit entry.
"""

from datetime import datetime
from functools import partial

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console.core import forms
from console.core.errors import Refused
from console.core.pages import page, refuse, result
from console.reports import exports, monthly
from console.reports.documents import Document
from console.reports.issue import Issue, monthly_issue, summary_issue
from console.reports.monthly_document import FreeText, build_monthly
from console.reports.summary import build_summary
from console.schedule import duedates
from console.security.audit import audited_read
from console.security.auth import guarded
from console.security.permissions import Action, allowed
from console.security.reauth import confirm_first
from console.security.takeout import TAKEOUT_BY_FORM, record_takeout, takeout_reason
from console.settings import TZ

AUDIENCE_LABELS = {
    "manager": "管理者用(メモを含む)",
    "ward": "区提出用",
    "publication": "公表用(3未満表記)",
}


class ExportFormat(Convertor):
    regex = "csv|xlsx|pdf"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("export", ExportFormat())


def audience(request: Request) -> str:
    """The variant asked for (`?for=`); Refused when unknown or not this role's to read."""
    role = request.state.staff.role
    default = "manager" if allowed(role, Action.VIEW_REPORT_NOTES) else "ward"
    wanted = request.query_params.get("for", default)
    if wanted not in AUDIENCE_LABELS:
        raise Refused(
            "表示の種類が正しくありません。管理者用・区提出用・公表用から選んでください。",
            status=400,
        )
    if wanted == "manager" and not allowed(role, Action.VIEW_REPORT_NOTES):
        raise Refused("この表示を閲覧する権限がありません。", status=403)
    return wanted


def _choices(request: Request) -> list[tuple[str, str]]:
    role = request.state.staff.role
    return [
        (key, label)
        for key, label in AUDIENCE_LABELS.items()
        if key != "manager" or allowed(role, Action.VIEW_REPORT_NOTES)
    ]


async def _download(
    request: Request, document: Document, fmt: str, name: str, issue: Issue
) -> Response:
    """The document as a file. The manager's variant holds the staff's notes, which may
    speak of people: a recent password or factor and a reason first, and a take-out record
    (12(5)(エ)), sent by POST so that the reason stays out of URLs, logs and the browser's
    history (and a link from the history does not take it out again). The ward's and the
    publication variants hold no personal data: plain links."""
    if document.audience == "manager":
        if request.method != "POST":
            return refuse(request, TAKEOUT_BY_FORM, 400)
        if confirm := confirm_first(request):
            return confirm
        try:
            reason = await takeout_reason(request)
        except Refused as refusal:
            return refuse(request, refusal.message, 422)
        await run_in_threadpool(
            partial(
                record_takeout,
                request.app.state.engine,
                staff_id=request.state.staff.id,
                document=f"{name}_internal.{fmt}",
                reason=reason,
            )
        )
    # In a worker thread: a PDF takes a moment, and the live dashboards must not wait for it.
    body = await run_in_threadpool(exports.export, document, fmt, issue)
    suffix = {"ward": "", "manager": "_internal", "publication": "_public"}[document.audience]
    return Response(
        body,
        media_type=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}{suffix}.{fmt}"'},
    )


# --- post-session summary --------------------------------------------------------------------


async def _summary_for(request: Request) -> tuple[Document | None, Response | None]:
    meetup_id = int(request.path_params["meetup_id"])
    try:
        wanted = audience(request)
    except Refused as refused:
        return None, refuse(request, refused.message, refused.status)
    fmt = request.path_params.get("fmt", "html")
    document = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        f"summary.{fmt}",
        f"meetup:{meetup_id}:{wanted}",
        lambda db: build_summary(db, meetup_id),
    )
    if document is None:
        return None, refuse(request, "開催回が見つかりません。", 404)
    return document.for_audience(wanted), None


@guarded(Action.VIEW_REPORTS)
async def summary(request: Request) -> Response:
    document, refused = await _summary_for(request)
    if refused:
        return refused
    return page(
        request,
        "reports/summary.html",
        doc=document,
        meetup_id=request.path_params["meetup_id"],
        choices=_choices(request),
    )


@guarded(Action.VIEW_REPORTS)
async def summary_export(request: Request) -> Response:
    document, refused = await _summary_for(request)
    if refused:
        return refused
    meetup_id = int(request.path_params["meetup_id"])

    def issue() -> Issue:
        with Session(request.app.state.engine) as db:
            return summary_issue(db, meetup_id, AUDIENCE_LABELS[document.audience])

    return await _download(
        request,
        document,
        request.path_params["fmt"],
        f"summary_{meetup_id}",
        await run_in_threadpool(issue),
    )


# --- monthly reports -------------------------------------------------------------------------


def _month(request: Request) -> tuple[int, int] | None:
    year, month = int(request.path_params["year"]), int(request.path_params["month"])
    return (
        (year, month) if forms.FIRST_YEAR <= year <= forms.LAST_YEAR and 1 <= month <= 12 else None
    )


@guarded(Action.VIEW_REPORTS)
async def monthly_index(request: Request) -> Response:
    today = datetime.now(TZ).date()
    raw = request.query_params.get("fy")
    fy = forms.number(raw, low=forms.FIRST_YEAR, high=forms.LAST_YEAR - 1)
    if raw is None:
        fy = today.year if today.month >= 4 else today.year - 1
    elif fy is None:
        return refuse(request, "年度の指定が正しくありません。", 400)

    editor = allowed(request.state.staff.role, Action.EDIT_MONTHLY)

    def read(engine):
        """Each month with its latest version; for the ward only months with a finalised
        one, and that one (a correction still in draft is not theirs to see)."""
        rows = []
        with Session(engine) as db:
            for year, month, due in duedates.fiscal_year_due_dates(fy):
                versions = monthly.versions(db, year, month)
                if not editor:
                    versions = [v for v in versions if v.status == "final"]
                    if not versions:
                        continue
                rows.append((year, month, due, versions[-1] if versions else None))
        return rows

    rows = await run_in_threadpool(read, request.app.state.engine)
    return page(request, "reports/monthly_index.html", fy=fy, rows=rows, today=today, editor=editor)


def _visible(request: Request, db: Session, year: int, month: int, version: int | None):
    """The version this role may read: the ward reads finalised versions only."""
    if allowed(request.state.staff.role, Action.EDIT_MONTHLY):
        return monthly.read(db, year, month, version)
    finals = [v.version for v in monthly.versions(db, year, month) if v.status == "final"]
    if version is not None:
        finals = [n for n in finals if n <= version]
    return monthly.read(db, year, month, finals[-1]) if finals else None


async def _monthly_for(request: Request, fmt: str):
    found = _month(request)
    if found is None:
        return None, None, refuse(request, "対象の年月が正しくありません。", 404)
    try:
        wanted = audience(request)
    except Refused as refused:
        return None, None, refuse(request, refused.message, refused.status)
    year, month = found
    raw = request.path_params.get("version") or request.query_params.get("version")
    version = forms.record_id(raw) if raw else None
    if raw and version is None:
        return None, None, refuse(request, "版の指定が正しくありません。", 404)
    shown = await run_in_threadpool(
        audited_read,
        request.app.state.engine,
        request.state.staff.id,
        f"monthly.{fmt}",
        f"{year}-{month:02d}:v{version or 'latest'}:{wanted}",
        lambda db: _visible(request, db, year, month, version),
    )
    return shown, wanted, None


@guarded(Action.VIEW_REPORTS)
async def monthly_report(request: Request) -> Response:
    shown, wanted, refused = await _monthly_for(request, "html")
    if refused:
        return refused
    year, month = _month(request)
    editor = allowed(request.state.staff.role, Action.EDIT_MONTHLY)
    if shown is None and not editor:
        return refuse(request, "この月の確定した報告書はまだありません。", 404)
    if shown is None:  # nothing saved yet: the draft as the log stands, version 1
        document = await run_in_threadpool(_unsaved_draft, request.app.state.engine, year, month)
        row, changes = None, None
    else:
        document, row, changes = shown.document, shown.row, shown.changes
    return page(
        request,
        "reports/monthly.html",
        doc=document.for_audience(wanted),
        row=row,
        changes=changes,
        year=year,
        month=month,
        audience=wanted,
        choices=_choices(request),
        editor=editor,
        versions=await run_in_threadpool(_versions, request.app.state.engine, year, month, editor),
    )


def _unsaved_draft(engine, year: int, month: int) -> Document:
    with Session(engine) as db:
        return build_monthly(db, year, month, FreeText())


def _versions(engine, year: int, month: int, editor: bool):
    with Session(engine) as db:
        rows = monthly.versions(db, year, month)
    return [r for r in rows if editor or r.status == "final"]


@guarded(Action.VIEW_REPORTS)
async def monthly_export(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    shown, wanted, refused = await _monthly_for(request, fmt)
    if refused:
        return refused
    year, month = _month(request)
    version = request.path_params["version"]
    editor = allowed(request.state.staff.role, Action.EDIT_MONTHLY)
    row = None
    if shown is None and editor and version == 1:  # nothing saved yet: the draft as it stands
        document = await run_in_threadpool(_unsaved_draft, request.app.state.engine, year, month)
    elif shown is None:
        return refuse(request, "この月の確定した報告書はまだありません。", 404)
    else:
        document, version, row = shown.document, shown.row.version, shown.row
    name = f"monthly_{year}-{month:02d}_v{version}"
    issue = monthly_issue(year, month, row, AUDIENCE_LABELS[wanted])
    return await _download(request, document.for_audience(wanted), fmt, name, issue)


async def _monthly_change(request: Request, change) -> Response:
    found = _month(request)
    if found is None:
        return refuse(request, "対象の年月が正しくありません。", 404)
    year, month = found
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        message = await run_in_threadpool(
            change, request.app.state.engine, year, month, request.state.staff.id, form
        )
    except Refused as refused:
        return refuse(request, refused.message, refused.status)
    target = f"/monthly/{year}/{month}"
    if request.headers.get("hx-request") == "true":
        response = result(request, message)
        response.headers["HX-Location"] = target
        return response
    return RedirectResponse(target, status_code=303)


@guarded(Action.EDIT_MONTHLY)
async def monthly_text(request: Request) -> Response:
    def change(engine, year, month, staff_id, form):
        monthly.save_text(
            engine,
            year=year,
            month=month,
            staff_id=staff_id,
            notable=form.get("notable", ""),
            ward_items=form.get("ward_items", ""),
        )
        return "記述を保存しました。"

    return await _monthly_change(request, change)


@guarded(Action.EDIT_MONTHLY)
async def monthly_finalise(request: Request) -> Response:
    def change(engine, year, month, staff_id, form):
        version = forms.record_id(form.get("version"))
        if version is None:
            raise Refused(
                "確定する版が指定されていません。画面を再読み込みしてください。", status=400
            )
        if not forms.checkbox(form, "agree"):
            raise Refused(
                "確定すると変更できません。内容を確認したら、確認のチェックを入れて確定してください。"
            )
        number = monthly.finalise(
            engine, year=year, month=month, version=version, staff_id=staff_id
        )
        return f"第{number}版を確定しました。"

    return await _monthly_change(request, change)


@guarded(Action.EDIT_MONTHLY)
async def monthly_correct(request: Request) -> Response:
    def change(engine, year, month, staff_id, form):
        number = monthly.correct(
            engine, year=year, month=month, staff_id=staff_id, reason=form.get("reason", "")
        )
        return f"訂正版(第{number}版)を作成しました。"

    return await _monthly_change(request, change)
