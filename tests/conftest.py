"""Fixtures that start real servers: uvicorn on a free port, over a real database file."""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text, update
from sqlmodel import Session, create_engine, select

from console.live.models import Meetup
from console.session.models import Participant
from console.settings import TZ
from console.store import crypto
from console.store.db import make_engine, normalise_url, transaction
from console.store.schema import migrate
from console.web.composition import bootstrap

bootstrap()  # the domains, as the app and the CLI start them

# One data key for the whole run, shared by the test process and every server it starts;
# its folder goes when the run ends (every server has been stopped by then).
KEY_DIR = Path(tempfile.mkdtemp(prefix="console-keys-"))
atexit.register(shutil.rmtree, KEY_DIR, ignore_errors=True)
KEY_FILE = KEY_DIR / "data.key"
crypto.create_key_file(KEY_FILE)
crypto.use(crypto.Keyring.from_json(KEY_FILE.read_text()))
ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def needs(what: str, reason: str):
    """Skip locally with a reason; in CI (CI set) a missing part is a failure, not a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI: {reason}")
    pytest.skip(f"{what} unavailable locally: {reason}")  # reached only outside CI (see above)


@dataclass
class Server:
    url: str
    database_url: str
    env: dict
    process: subprocess.Popen | None = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def start(self) -> "Server":
        log = open(Path(self.env["LOG_DIR"]) / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "console.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws",
                "console.live.protocol:LiveWebSocketProtocol",
                "--ws-max-size",
                "65536",
                "--ws-per-message-deflate",
                "false",
                "--forwarded-allow-ips",
                self.env.get("FORWARDED_ALLOW_IPS", ""),
                "--log-level",
                os.environ.get("TEST_SERVER_LOG", "warning"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60  # a bound for a slow machine, not a margin
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()
        return self.process.returncode if self.process else 0


def make_server(database_url: str, tmp: Path, **extra_env: str) -> Server:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_KEY_FILE": str(KEY_FILE),
        "LOG_DIR": str(tmp),
        **extra_env,
    }
    return Server(url=f"http://127.0.0.1:{free_port()}", database_url=database_url, env=env)


def run_console(*args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """`python -m console ARGS` in a subprocess with `env` over this environment (no data key
    unless given), its output as text."""
    keys = {"DATA_KEY_FILE", "DATA_KEYS", "DATA_INDEX_KEY"}
    base = {k: v for k, v in os.environ.items() if k not in keys}
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, **env},
        timeout=120,
    )


def start_with_mail(database_url: str, tmp: Path, **extra_env: str) -> tuple[Server, int]:
    """A started server whose outbox sends to an SMTP port on loopback (plain SMTP, as
    aiosmtpd speaks), polling often; returns it and that port."""
    smtp_port = free_port()
    server = make_server(
        database_url,
        tmp,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="false",
        OUTBOX_INTERVAL_SECONDS="0.2",
        OUTBOX_RETRY_BASE_SECONDS="0.2",
        **extra_env,
    )
    return server.start(), smtp_port


def wait_for(predicate, timeout: float = 30.0):
    """Poll until `predicate()` is truthy; return its value or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def sent(engine, key: str):
    """The outbox message `key` once it is marked sent (after the SMTP server accepted it, so
    a resend could only come from a second claim: none can, once it is marked)."""
    from console.store.models import OutboxMessage

    def marked():
        with Session(engine) as db:
            message = db.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
        return message if message.sent_at is not None else None

    return wait_for(marked)


def empty_postgres():
    """An engine on the test database with an empty schema, or a skip/fail saying why not."""
    engine = make_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    except Exception as error:  # noqa: BLE001
        engine.dispose()
        needs("PostgreSQL on 127.0.0.1:5432", str(error))
    return engine


def new_meetup(engine, *, starts_in: timedelta = timedelta(hours=1)) -> int:
    """A scheduled meetup (reference data) for a test of its own, starting in `starts_in`."""
    now = datetime.now(UTC)
    start = now + starts_in
    with transaction(engine) as db:
        meetup = Meetup(
            date=start.astimezone(TZ).date(),
            doors_at=now,
            starts_at=start,
            ends_at=start + timedelta(hours=3),
        )
        db.add(meetup)
        db.flush()
        return meetup.id


def new_participant(engine, name: str = "テスト") -> Participant:
    """A participant of a test's own (blocks outlive meetups: never block a shared one).

    The name ends in the code's last three characters after a "・", which no code holds, so a
    test asserting the name is absent from a page that shows the code cannot be fooled by the
    code itself ("B" + "2C9" is inside "TB954B2C9").
    """
    with transaction(engine) as db:
        code = f"T{uuid.uuid4().hex[:8].upper()}"
        person = Participant(code=code, display_name=f"{name}・{code[-3:]}")
        db.add(person)
        db.flush()
        return person


def seed(database_url: str):
    """Staff of every role and 15 participants (the demo's), plus a running meetup."""
    from console import demo

    engine = make_engine(database_url)
    migrate(engine)
    meetup = demo.seed(engine)
    return engine, meetup


@pytest.fixture(scope="session")
def shared_db(tmp_path_factory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("shared")
    url = f"sqlite:///{tmp / 'console.db'}"
    seed(url)
    return url, tmp


@pytest.fixture(scope="session")
def server(shared_db) -> Iterator[Server]:
    url, tmp = shared_db
    srv = make_server(url, tmp).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def engine(shared_db):
    return make_engine(shared_db[0])


ENROLLED: dict[tuple[str, str], str] = {}  # (database URL, login id) -> a secret enrolled here


def totp_now(server: Server, login_id: str) -> str:
    """A current TOTP code for `login_id` on `server`: from the demo's seeded secret, or the
    secret this run enrolled for it (`pass_factor`).

    Tests sign one person in many times a minute, which nobody does by hand, and a code is
    accepted once: the step last used is forgotten first (in the test's database), so the
    current code is not refused as a replay. tests/security/test_factor.py tests the refusal.
    """
    import pyotp

    from console import demo
    from console.security.models import Staff as StaffRow
    from console.security.models import StaffFactor

    secret = ENROLLED.get((server.database_url, login_id)) or demo.totp_secret(login_id)
    # Not make_engine: it opens and closes the SQLite file itself, which would drop the POSIX
    # locks of every other connection this process holds on it (the fixtures' engines).
    url = normalise_url(server.database_url)
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    try:
        with Session(engine) as db, db.begin():
            staff_id = select(StaffRow.id).where(StaffRow.login_id == login_id).scalar_subquery()
            db.execute(
                update(StaffFactor).where(StaffFactor.staff_id == staff_id).values(last_step=None)
            )
    finally:
        engine.dispose()
    return pyotp.TOTP(secret).now()


def pass_factor(http: httpx.Client, server: Server, login_id: str, next_url: str = "/"):
    """The second step of a login whose password was accepted: enrol (first login: the
    secret is read off the page, as a person types it into an app) or give a current code."""
    page = http.get("/login/factor")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    if shown := re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text):
        ENROLLED[(server.database_url, login_id)] = shown.group(1)
    response = http.post(
        "/login/factor",
        data={"code": totp_now(server, login_id), "csrf_token": token, "next": next_url},
    )
    assert response.status_code in (200, 303), response.text
    return response


async def give_factor(page, server: Server, login_id: str) -> None:
    """In a browser whose password step was just sent: the current code on the factor page."""
    await page.wait_for_url("**/login/factor**")
    await page.get_by_label("確認コード").fill(totp_now(server, login_id))
    await page.get_by_role("button", name="確認").click()


class Staff:
    """A logged-in browser-less staff client: cookies, CSRF token, commands."""

    def __init__(self, server: Server, login_id: str) -> None:
        self.server = server
        # Never reuse a connection the server may be closing: uvicorn drops a keep-alive
        # connection after 5 s idle (--timeout-keep-alive), and a request sent on it just as
        # it closes fails with "Server disconnected" (a POST is not retried). This client is
        # shared across tests, so it idles that long; 1 s is well under the server's limit.
        self.http = httpx.Client(
            base_url=server.url, timeout=30, limits=httpx.Limits(keepalive_expiry=1)
        )
        page = self.http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.http.post(
            "/login",
            data={"login_id": login_id, "password": "demo-pass-2026", "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        pass_factor(self.http, server, login_id)
        self.confirmed_at = time.monotonic()  # a fresh login counts as re-authentication
        home = self.http.get("/")
        self.csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text).group(1)
        self.cookie = f"console_session={self.http.cookies['console_session']}"

    def confirm(self) -> None:
        """Give the password again (re-authentication, good for REAUTH_MINUTES)."""
        response = self.http.post(
            "/login/confirm",
            data={"secret": "demo-pass-2026", "next": "/"},
            headers={"X-CSRF-Token": self.csrf},
        )
        assert response.status_code == 303, response.text
        self.confirmed_at = time.monotonic()

    def command(self, meetup_id: int, name: str, command_id: str | None = None, **form):
        import uuid

        data = {"command_id": command_id or uuid.uuid4().hex, **form}
        return self.http.post(
            f"/meetups/{meetup_id}/commands/{name}",
            data=data,
            headers={"X-CSRF-Token": self.csrf, "HX-Request": "true"},
        )

    def take_out(self, path: str, reason: str, **params):
        """Download a document holding personal data: POSTed with the take-out's reason."""
        return self.http.post(path, params=params, data={"csrf_token": self.csrf, "reason": reason})

    def ws_headers(self) -> dict:
        return {"Cookie": self.cookie, "Origin": self.server.url}


@pytest.fixture(scope="session")
def staff(server):
    cache: dict[str, Staff] = {}

    def login(login_id: str) -> Staff:
        if login_id not in cache:
            cache[login_id] = Staff(server, login_id)
        elif time.monotonic() - cache[login_id].confirmed_at > 300:
            cache[login_id].confirm()  # shared logins stay within REAUTH_MINUTES
        return cache[login_id]

    return login
