"""Rendering a page, a command's outcome, or a refusal: the same three answers everywhere."""

from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from console import settings
from console.core.templating import templates


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def result(request: Request, message: str, status: int = 200) -> Response:
    """The outcome of a command, swapped into the page's status region."""
    html = templates.get_template("result.html").render(message=message, error=status >= 400)
    # The page's <body> targets #command-result for every htmx request. Not HX-Retarget:
    # htmx resolves that against the triggering form, which a live update may have removed.
    return HTMLResponse(html, status_code=status)


def refuse(request: Request, message: str, status: int) -> Response:
    """A refusal: the message in the status region for htmx, else an error page that keeps
    the menu of whoever is logged in and says what happened."""
    if is_htmx(request):
        return result(request, message, status)
    return page(request, "error.html", status=status, message=message, back=_came_from(request))


def _came_from(request: Request) -> str:
    """The page of this site the refused form was sent from, to go back to ("" if none)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or referer.path.startswith("//"):
        return ""
    if request.method == "GET" and referer.path == request.url.path:
        return ""  # this very page (a form posting to its own address still links back)
    return referer.path + (f"?{referer.query}" if referer.query else "")


FLASH_COOKIE = "console_done"


def redirect_saying(request: Request, url: str, message: str) -> Response:
    """After a plain (non-htmx) form: go to `url`, whose page then says `message` once (a
    fixed sentence, never personal data: it rides in a one-minute cookie)."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        quote(message),
        max_age=60,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.COOKIE_SECURE or request.url.scheme == "https",
    )
    return response


def page(request: Request, name: str, status: int = 200, **context) -> Response:
    staff = getattr(request.state, "staff", None)
    login = getattr(request.state, "login", None)
    context.setdefault("role", staff.role if staff else "")
    context.setdefault("status", status)
    said = unquote(request.cookies.get(FLASH_COOKIE, ""))[:200]
    response = templates.TemplateResponse(
        request,
        name,
        {"me": staff, "csrf_token": login.csrf_token if login else "", "said": said, **context},
        status_code=status,
    )
    if said:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
