"""The second factor: half logins reach nothing, enrolment by QR, replayed codes, recovery
codes, the manager's reset, session id rotation, and re-authentication."""

import re
from datetime import timedelta

import httpx
import pyotp
import pytest
import websockets
from sqlalchemy import update
from sqlmodel import Session, select

from console import demo
from console.consultations.models import ConsultationRecord
from console.security.auth import hash_password
from console.security.models import AuditEntry, StaffSession
from console.security.models import Staff as StaffRow
from console.store.columns import utcnow
from console.store.db import transaction
from tests.conftest import Staff, make_server, pass_factor, seed, totp_now

PASSWORD = "demo-pass-2026"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("factor")
    url = f"sqlite:///{tmp / 'factor.db'}"
    engine, _ = seed(url)
    srv = make_server(url, tmp).start()
    yield srv, engine
    srv.stop()
    engine.dispose()


def password_step(server, login_id: str, password: str = PASSWORD) -> httpx.Client:
    http = httpx.Client(base_url=server.url, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
    response = http.post(
        "/login", data={"login_id": login_id, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login/factor")
    return http


def factor_form(http: httpx.Client) -> tuple[str, str]:
    """The factor page's text and its CSRF token."""
    page = http.get("/login/factor")
    assert page.status_code == 200
    return page.text, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def give(http: httpx.Client, code: str) -> httpx.Response:
    _, token = factor_form(http)
    return http.post("/login/factor", data={"code": code, "csrf_token": token, "next": "/"})


def actions(engine, staff_id: int | None = None) -> list[str]:
    with Session(engine) as db:
        query = select(AuditEntry.action).order_by(AuditEntry.id)
        if staff_id is not None:
            query = query.where(AuditEntry.staff_id == staff_id)
        return list(db.exec(query))


def staff_id(engine, login_id: str) -> int:
    with Session(engine) as db:
        return db.exec(select(StaffRow.id).where(StaffRow.login_id == login_id)).one()


async def test_a_password_alone_reaches_nothing_but_the_factor_page(site):
    server, _ = site
    http = password_step(server, "facilitator")
    for path in ("/", "/meetups/1", "/schedule", "/participants"):
        response = http.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    command = http.post("/meetups/1/commands/note", data={"command_id": "half", "text": "x"})
    assert command.status_code == 401
    headers = {"Cookie": f"console_session={http.cookies['console_session']}"}
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            f"{server.ws_url}/live/1", additional_headers={**headers, "Origin": server.url}
        ):
            pass
    assert give(http, totp_now(server, "facilitator")).status_code == 303
    assert http.get("/meetups/1").status_code == 200  # everything the role allows


def test_the_session_id_changes_at_login_and_again_at_the_factor(site):
    server, _ = site
    http = httpx.Client(base_url=server.url, timeout=30)
    http.cookies.set("console_session", "planted-by-an-attacker", domain="127.0.0.1", path="/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
    http.post("/login", data={"login_id": "support", "password": PASSWORD, "csrf_token": token})
    half = http.cookies["console_session"]
    assert half != "planted-by-an-attacker"
    assert give(http, totp_now(server, "support")).status_code == 303
    full = http.cookies["console_session"]
    assert full not in (half, "planted-by-an-attacker")
    # The half login's token is gone: it neither reaches pages nor the factor step.
    stale = httpx.Client(base_url=server.url, cookies={"console_session": half})
    assert stale.get("/login/factor").headers["location"] == "/login"
    assert stale.get("/").status_code == 303


def test_a_wrong_or_replayed_code_is_refused_and_changes_nothing(site):
    server, engine = site
    first = password_step(server, "counsellor3")
    assert give(first, "12345").status_code == 401
    code = totp_now(server, "counsellor3")
    assert give(first, code).status_code == 303
    second = password_step(server, "counsellor3")
    replay = give(second, code)  # the same code again (from over a shoulder, say)
    assert replay.status_code == 401
    assert "すでに使われています" in replay.text
    assert second.get("/").status_code == 303  # still only half logged in
    assert actions(engine, staff_id(engine, "counsellor3"))[-2:] == [
        "login.password",
        "factor.failed",
    ]


def test_first_login_enrols_by_qr_code_and_a_recovery_code_works_once(site):
    server, engine = site
    with transaction(engine) as db:
        db.add(
            StaffRow(
                login_id="newcomer",
                display_name="新任 中村",
                role="support",
                password_hash=hash_password(PASSWORD),
            )
        )
    http = password_step(server, "newcomer")
    page, _ = factor_form(http)
    assert "二要素認証の設定" in page and 'src="data:image/svg+xml' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert http.get("/").status_code == 303  # not enrolled, not in
    enrolled = give(http, pyotp.TOTP(secret).now())
    assert enrolled.status_code == 200 and "この画面でしか表示されません" in enrolled.text
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", enrolled.text)
    assert len(set(codes)) == 10
    assert http.get("/").status_code == 200

    again = password_step(server, "newcomer")
    assert give(again, codes[0]).status_code == 303
    assert again.get("/").status_code == 200
    once_more = password_step(server, "newcomer")
    used = give(once_more, codes[0])
    assert used.status_code == 401 and once_more.get("/").status_code == 303
    assert "factor.recovery_used" in actions(engine, staff_id(engine, "newcomer"))


def test_the_manager_resets_a_factor_and_that_person_enrols_again(site):
    server, engine = site
    counsellor = Staff(server, "counsellor2")
    assert counsellor.http.get("/").status_code == 200
    target = staff_id(engine, "counsellor2")
    support = Staff(server, "support")
    refused = support.http.post(
        f"/security/factors/{target}/reset", headers={"X-CSRF-Token": support.csrf}
    )
    assert refused.status_code == 403
    manager = Staff(server, "manager")
    reset = manager.http.post(
        f"/security/factors/{target}/reset", headers={"X-CSRF-Token": manager.csrf}
    )
    assert reset.status_code == 303
    assert counsellor.http.get("/").status_code == 303  # their login ended at once
    http = password_step(server, "counsellor2")
    page, _ = factor_form(http)
    assert "二要素認証の設定" in page  # enrols again (a new secret)
    assert pass_factor(http, server, "counsellor2").status_code == 200
    assert http.get("/").status_code == 200
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "factor.reset")).one()
    assert entry.staff_id == staff_id(engine, "manager") and entry.target == f"staff:{target}"


def test_reading_a_consultation_record_needs_a_recent_password_or_code(site):
    server, engine = site
    with Session(engine) as db:
        record_id = db.exec(select(ConsultationRecord.id)).first()
    manager = Staff(server, "manager")
    assert manager.http.get(f"/consultations/{record_id}").status_code == 200  # a fresh login
    with transaction(engine) as db:
        db.execute(
            update(StaffSession)
            .where(StaffSession.staff_id == staff_id(engine, "manager"))
            .values(confirmed_at=utcnow() - timedelta(minutes=11))
        )
    stale = manager.http.get(f"/consultations/{record_id}")
    assert stale.status_code == 303
    assert stale.headers["location"] == f"/login/confirm?next=/consultations/{record_id}"
    wrong = manager.http.post(
        "/login/confirm",
        data={"secret": "not-it", "next": f"/consultations/{record_id}"},
        headers={"X-CSRF-Token": manager.csrf},
    )
    assert wrong.status_code == 401 and "正しくありません" in wrong.text
    assert manager.http.get(f"/consultations/{record_id}").status_code == 303
    confirmed = manager.http.post(
        "/login/confirm",
        data={"secret": PASSWORD, "next": f"/consultations/{record_id}"},
        headers={"X-CSRF-Token": manager.csrf},
    )
    assert confirmed.headers["location"] == f"/consultations/{record_id}"
    assert manager.http.get(f"/consultations/{record_id}").status_code == 200


def test_the_demo_prints_a_secret_and_a_current_code_per_login():
    secret = demo.totp_secret("manager")
    assert secret != demo.totp_secret("ward")
    assert pyotp.TOTP(secret).verify(demo.totp_code("manager"))


def test_hsts_is_sent_only_when_cookies_are_secure(site, tmp_path):
    server, _ = site
    assert "strict-transport-security" not in httpx.get(f"{server.url}/login").headers
    secure = make_server(f"sqlite:///{tmp_path / 'tls.db'}", tmp_path, COOKIE_SECURE="true")
    secure.start()
    try:
        headers = httpx.get(f"{secure.url}/login").headers
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    finally:
        secure.stop()


def test_a_passkey_answer_without_a_live_challenge_is_refused(site):
    server, _ = site
    http = password_step(server, "support")
    _, token = factor_form(http)
    headers = {"Content-Type": "application/json"}
    forged = http.post("/login/passkey", content="{}", headers=headers)
    assert forged.status_code == 403  # no CSRF token
    stale = http.post("/login/passkey", content="{}", headers={**headers, "X-CSRF-Token": token})
    assert stale.status_code == 409 and "有効期限が切れました" in stale.json()["error"]
    assert http.get("/").status_code == 303  # nothing changed: still half logged in
