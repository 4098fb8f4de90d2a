"""Guessing is slowed per login id and address, never locked by someone else (issue 11, 9)."""

import re

import httpx
import pytest
from sqlmodel import Session, select

from console.security.models import LoginThrottle
from tests.conftest import make_server, seed, wait_for


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    """A server behind a trusted proxy (loopback), with short delays so a test can see one end."""
    tmp = tmp_path_factory.mktemp("throttle")
    url = f"sqlite:///{tmp / 'throttle.db'}"
    engine, _ = seed(url)
    srv = make_server(
        url,
        tmp,
        FORWARDED_ALLOW_IPS="127.0.0.1",
        LOGIN_FIRST_DELAY_SECONDS="1",
        LOGIN_MAX_DELAY_SECONDS="2",
    ).start()
    yield srv, engine
    srv.stop()


def attempt(server, login_id: str, password: str, address: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, headers={"X-Forwarded-For": address}) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return client.post(
            "/login", data={"login_id": login_id, "password": password, "csrf_token": token}
        )


def test_guesses_from_one_address_do_not_keep_the_staff_member_out_elsewhere(behind_proxy):
    server, _ = behind_proxy
    for _ in range(6):
        assert attempt(server, "counsellor1", "guess", "198.51.100.7").status_code == 401
    assert "少し時間をおいて" in attempt(server, "counsellor1", "guess", "198.51.100.7").text
    # The counsellor at the office is not the one guessing: they log in at once.
    assert attempt(server, "counsellor1", "demo-pass-2026", "192.0.2.10").status_code == 303


def test_a_delay_ends_by_itself(behind_proxy):
    server, _ = behind_proxy
    for _ in range(5):
        attempt(server, "counsellor2", "guess", "198.51.100.8")
    assert attempt(server, "counsellor2", "demo-pass-2026", "198.51.100.8").status_code == 401
    # A delay, not a lock: once it has passed, the right password works again.
    wait_for(
        lambda: attempt(server, "counsellor2", "demo-pass-2026", "198.51.100.8").status_code == 303
    )


def test_typed_login_ids_are_not_stored(behind_proxy):
    server, engine = behind_proxy
    attempt(server, "my-secret-password-typed-as-id", "x", "198.51.100.9")
    with Session(engine) as db:
        keys = [row.login_key for row in db.exec(select(LoginThrottle))]
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    assert not any("secret" in key for key in keys)


def test_many_failures_from_one_office_address_only_slow_it_down(behind_proxy):
    server, _ = behind_proxy
    office = "192.0.2.50"
    for n in range(31):
        attempt(server, f"nobody{n}", "x", office)
    slowed = attempt(server, "facilitator", "demo-pass-2026", office)
    assert slowed.status_code == 401 and "少し時間をおいて" in slowed.text
    wait_for(lambda: attempt(server, "facilitator", "demo-pass-2026", office).status_code == 303)
