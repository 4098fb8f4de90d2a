"""Logins, sessions, CSRF, and the guard every route goes through.

Passwords are argon2id (argon2-cffi's defaults), rehashed when those parameters change.
An unknown login id is verified against a dummy hash so timing tells nothing, and a
failure never says which half was wrong.

Guessing is slowed, never turned into a lockout that anyone could trigger: failures are
counted per login id *and* client address (known id or not; stored under a keyed hash, so a
password typed into the id field is never kept), and past `LOGIN_FREE_FAILURES` each further
attempt from that address for that id waits a delay that doubles up to
`LOGIN_MAX_DELAY_SECONDS`. The same staff member at another address is not affected. One
address failing often (for any ids) waits likewise, but staff behind one office NAT only ever
wait, never are locked out. The client address comes from X-Forwarded-For only when the
proxy is named in `FORWARDED_ALLOW_IPS` (none by default).
"""

import hashlib
import hmac
import math
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from console import settings
from console.core.pages import refuse
from console.security import audit
from console.security.models import LoginThrottle, Staff, StaffSession
from console.security.permissions import Action, allowed
from console.store import crypto
from console.store.columns import utcnow
from console.store.db import transaction

COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FAILED = "ログインIDまたはパスワードが正しくありません。"
CSRF_FAILED = "セキュリティ確認に失敗しました。画面を再読み込みしてからやり直してください。"

HALF_LOGIN = timedelta(minutes=10)

hasher = PasswordHasher()
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return hasher.hash(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def delay_after(failures: int) -> float:
    """Seconds to wait after `failures` consecutive failures (0 while still free)."""
    beyond = failures - settings.LOGIN_FREE_FAILURES
    if beyond < 0:
        return 0.0
    return float(
        min(settings.LOGIN_FIRST_DELAY_SECONDS * 2**beyond, settings.LOGIN_MAX_DELAY_SECONDS)
    )


class AddressThrottle:
    """Failed logins per client address in a sliding window (in memory, per process); past
    `limit` failures each attempt waits `delay_after` the excess."""

    def __init__(self, limit: int = 30, window_seconds: float = 600) -> None:
        self.limit, self.window = limit, window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def wait(self, address: str) -> float:
        """Seconds before this address may try again (0: now)."""
        failures = self._failures[address]
        now = time.monotonic()
        while failures and failures[0] < now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return 0.0
        excess = len(failures) - self.limit + settings.LOGIN_FREE_FAILURES
        return max(0.0, failures[-1] + delay_after(excess) - now)

    def fail(self, address: str) -> None:
        self._failures[address].append(time.monotonic())


address_throttle = AddressThrottle()


def throttle_key(login_id: str, address: str, *, door: str = "staff") -> str:
    """Where failures of one id from one address are counted (a keyed hash: never the id)."""
    context = "login_throttle" if door == "staff" else f"login_throttle.{door}"
    return crypto.blind_index(f"{login_id}\0{address}", context=context)


def waiting(db: Session, key: str) -> float:
    """Seconds before `key` may try again (0: now)."""
    throttle = db.get(LoginThrottle, key)
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return (throttle.locked_until - now).total_seconds()
    return 0.0


def clear_failures(db: Session, key: str) -> None:
    db.execute(delete(LoginThrottle).where(LoginThrottle.login_key == key))


def wait_message(seconds: float) -> str:
    return (
        "ログインの失敗が続いたため、少し時間をおいてからお試しください"
        f"(あと約{max(1, math.ceil(seconds))}秒)。"
    )


def authenticate(
    engine: Engine, login_id: str, password: str, *, address: str = "?"
) -> tuple[Staff | None, str]:
    """The staff member, or None and the Japanese message to show.

    The slow password check runs outside any transaction; the failure count is then
    changed by one atomic upsert, so concurrent attempts neither lose counts nor collide.
    An attempt during its delay is answered without checking the password.
    """
    login_id = login_id.strip().lower()[:64]
    key = throttle_key(login_id, address)
    with Session(engine) as db:
        if wait := waiting(db, key):
            return None, wait_message(wait)
        staff = db.exec(select(Staff).where(Staff.login_id == login_id)).first()
    ok = verify_password(staff.password_hash if staff and staff.active else None, password)
    with transaction(engine) as db:
        if not ok:
            staff_id = staff.id if staff else None
            audit.record(db, action="login.failed", staff_id=staff_id)
            if count_failure(db, key):
                audit.record(db, action="login.lockout", staff_id=staff_id)
            return None, FAILED
        clear_failures(db, key)
        audit.record(db, action="login.password", staff_id=staff.id)
        if hasher.check_needs_rehash(staff.password_hash):
            db.execute(
                update(Staff)
                .where(Staff.id == staff.id)
                .values(password_hash=hasher.hash(password))
            )
    return staff, ""


def count_failure(db: Session, key: str) -> bool:
    """Count one failure; True when from now on this key waits (a lockout)."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    failures = LoginThrottle.__table__.c.failures
    db.execute(
        insert(LoginThrottle)
        .values(login_key=key, failures=1)
        .on_conflict_do_update(index_elements=["login_key"], set_={"failures": failures + 1})
    )
    throttle = db.get(LoginThrottle, key)
    delay = delay_after(throttle.failures)
    if delay:
        throttle.locked_until = utcnow() + timedelta(seconds=delay)
        db.add(throttle)
    return bool(delay)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; without a hash, a dummy is verified so timing tells nothing."""
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _new_session(db: Session, staff_id: int, *, factor: bool) -> str:
    token, now = secrets.token_urlsafe(32), utcnow()
    db.add(
        StaffSession(
            token_hash=_digest(token),
            staff_id=staff_id,
            csrf_token=secrets.token_urlsafe(32),
            # A half login lasts long enough to find the phone, not a working day.
            expires_at=now + (timedelta(hours=settings.SESSION_HOURS) if factor else HALF_LOGIN),
            factor_at=now if factor else None,
            confirmed_at=now,
        )
    )
    return token


def start_session(engine: Engine, staff: Staff) -> str:
    """A half login for `staff` (the password was right; the second factor is still due);
    returns the cookie token."""
    with transaction(engine) as db:
        return _new_session(db, staff.id, factor=False)


def complete_session(engine: Engine, token: str) -> str | None:
    """The second factor was given: the half login is replaced by a full one under a new
    token (the session id changes again, so a token seen before this point is worthless).
    None when the half login is gone (ended meanwhile, or completed by a twin request)."""
    with transaction(engine) as db:
        login = db.get(StaffSession, _digest(token))
        if login is None or login.factor_at is not None:
            return None
        db.delete(login)
        audit.record(db, action="login.factor", staff_id=login.staff_id)
        return _new_session(db, login.staff_id, factor=True)


def confirm(engine: Engine, token_hash: str) -> None:
    """The password or the factor was given again just now (re-authentication)."""
    with transaction(engine) as db:
        db.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == token_hash)
            .values(confirmed_at=utcnow())
        )


def recently_confirmed(login: StaffSession) -> bool:
    window = timedelta(minutes=settings.REAUTH_MINUTES)
    return login.confirmed_at is not None and utcnow() - login.confirmed_at <= window


def end_session(engine: Engine, token: str) -> None:
    with transaction(engine) as db:
        login = db.get(StaffSession, _digest(token))
        if login is not None:
            audit.record(db, action="logout", staff_id=login.staff_id)
            db.delete(login)


def end_sessions_of(db: Session, staff_id: int) -> list[str]:
    """End every login of one staff member at once; the token hashes that ended (their
    websockets are closed by the caller)."""
    ended = db.exec(select(StaffSession.token_hash).where(StaffSession.staff_id == staff_id))
    hashes = list(ended)
    db.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))
    return hashes


def _standing(query, now=None):
    """`query` limited to logins that still stand: not expired (at `now`, by default the
    present), their staff member active."""
    return query.join(StaffSession, StaffSession.staff_id == Staff.id).where(
        StaffSession.expires_at > (utcnow() if now is None else now),
        Staff.active == True,  # noqa: E712 (SQL, not Python)
    )


def _lookup_query(*, half: bool):
    """The login lookup, built once: the staff member's and the login's columns by token hash,
    if the login stands (and, unless `half`, its second factor was given)."""
    staff, login = Staff.__table__, StaffSession.__table__
    columns = [c.label(f"s_{c.name}") for c in staff.c] + [c.label(f"l_{c.name}") for c in login.c]
    now = bindparam("now", type_=login.c.expires_at.type)
    query = _standing(select(*columns).select_from(Staff), now).where(
        StaffSession.token_hash == bindparam("token_hash")
    )
    return query if half else query.where(StaffSession.factor_at.is_not(None))


_LOOKUP = {half: _lookup_query(half=half) for half in (False, True)}


def _detached(model, row, prefix: str):
    """A model instance from prefixed columns, detached as if read by a closed Session."""
    # As the ORM's loader does: a new instance without __init__, its attributes set as loaded.
    instance = class_mapper(model).class_manager.new_instance()
    instance.__dict__.update({c.name: row[f"{prefix}{c.name}"] for c in model.__table__.c})
    make_transient_to_detached(instance)
    return instance


def lookup(
    engine: Engine, token: str | None, *, half: bool = False
) -> tuple[Staff, StaffSession] | None:
    """The staff member and login of a cookie token, if the login stands: one query (in Core,
    compiled once — it runs before every request). Only a login completed with the second
    factor counts, unless `half` (the second-factor pages)."""
    if not token:
        return None
    with engine.connect() as conn:
        row = (
            conn.execute(_LOOKUP[half], {"token_hash": _digest(token), "now": utcnow()})
            .mappings()
            .first()
        )
    if row is None:
        return None
    return _detached(Staff, row, "s_"), _detached(StaffSession, row, "l_")


def standing(engine: Engine, token_hashes: set[str]) -> set[str]:
    """Which of these logins (by token hash) still stand: one query for all of them."""
    if not token_hashes:
        return set()
    query = _standing(select(StaffSession.token_hash).select_from(Staff)).where(
        StaffSession.token_hash.in_(token_hashes)
    )
    with Session(engine) as db:
        return set(db.exec(query))


async def current(conn: HTTPConnection) -> tuple[Staff, StaffSession] | None:
    return await run_in_threadpool(lookup, conn.app.state.engine, conn.cookies.get(COOKIE))


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.COOKIE_SECURE or request.url.scheme == "https",
        path="/",
    )


async def csrf_ok(request: Request, expected: str) -> bool:
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        given = form.get("csrf_token")
    # compare_digest refuses non-ASCII str (TypeError): a hostile token is simply wrong.
    return isinstance(given, str) and given.isascii() and hmac.compare_digest(given, expected)


def same_origin(conn: HTTPConnection) -> bool:
    """True when the Origin header is this server (as the browser addressed it) or allowed."""
    origin = conn.headers.get("origin")
    if origin is None:
        return False
    if origin in settings.ALLOWED_ORIGINS:
        return True
    host = conn.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


Handler = Callable[[Request], Awaitable[Response]]


def guarded(action: Action) -> Callable[[Handler], Handler]:
    """Login required, `action` allowed for the role, and CSRF checked on unsafe methods."""

    def wrap(handler: Handler) -> Handler:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            found = await current(request)
            if found is None:
                if request.method in SAFE_METHODS:
                    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
                return refuse(
                    request, "ログインの有効期限が切れました。再度ログインしてください。", 401
                )
            staff, login = found
            request.state.staff, request.state.login = staff, login
            if request.method not in SAFE_METHODS and not await csrf_ok(request, login.csrf_token):
                return refuse(request, CSRF_FAILED, 403)
            if not allowed(staff.role, action):
                return refuse(request, "この操作を行う権限がありません。", 403)
            return await handler(request)

        endpoint.guarded_by = action
        return endpoint

    return wrap
