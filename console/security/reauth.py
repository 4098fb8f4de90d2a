"""Re-authentication: the password or the second factor given again, recently, before
reading a consultation record, exporting personal data, approving a disposal or rotating
keys. A fresh login counts (it gave both)."""

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console.security import auth


def safe_next(value: str | None) -> str:
    """A path on this site to go on to ("/" for anything else)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def confirm_first(request: Request) -> Response | None:
    """None when the login was confirmed in the last `REAUTH_MINUTES`; else where to go to
    confirm it (the page to come back to is this one, or for a form the page it was on)."""
    if auth.recently_confirmed(request.state.login):
        return None
    back = request.url.path
    if request.method != "GET":
        referer = request.headers.get("referer", "")
        back = "/" + referer.split("/", 3)[3] if referer.count("/") >= 3 else "/"
    elif request.url.query:
        back = f"{back}?{request.url.query}"
    target = f"/login/confirm?next={quote(safe_next(back), safe='/')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
