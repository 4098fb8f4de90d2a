"""Staff accounts from the CLI, password rehashing, participants and meetups from the pages."""

import re
import subprocess
import sys

import httpx
from argon2 import PasswordHasher
from sqlmodel import Session, func, select

from console.security.models import AuditEntry
from console.security.models import Staff as StaffRow
from console.session.models import code_lookup
from console.store.db import make_engine, transaction
from tests.conftest import ROOT, make_server


def create_staff(database_url: str, *args: str, password: str = "long-enough-pass"):
    return subprocess.run(
        [sys.executable, "-m", "console", "create-staff", *args, "--password-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
    )


def test_create_staff_then_log_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    done = create_staff(
        url,
        "--role",
        "counsellor",
        "--display-name",
        "相談員 中村",
        "--login-id",
        "Nakamura",
        "--qualification",
        "public_health_nurse",
    )
    assert done.returncode == 0, done.stderr
    assert "登録しました" in done.stdout
    again = create_staff(url, "--role", "manager", "--display-name", "x", "--login-id", "nakamura")
    assert again.returncode == 1 and "すでに使われています" in again.stderr
    no_qualification = create_staff(
        url, "--role", "counsellor", "--display-name", "x", "--login-id", "c2"
    )
    assert no_qualification.returncode == 2 and "--qualification" in no_qualification.stderr
    short = create_staff(
        url, "--role", "ward", "--display-name", "x", "--login-id", "w1", password="short"
    )
    assert short.returncode == 2
    engine = make_engine(url)
    with Session(engine) as db:
        [row] = db.exec(select(StaffRow)).all()
    assert row.login_id == "nakamura" and row.qualification == "public_health_nurse"
    assert row.password_hash.startswith("$argon2id$")
    assert "long-enough-pass" not in row.password_hash


def test_login_rehashes_a_password_stored_with_old_parameters(tmp_path):
    url = f"sqlite:///{tmp_path / 'rehash.db'}"
    assert (
        create_staff(
            url, "--role", "support", "--display-name", "支援員", "--login-id", "s1"
        ).returncode
        == 0
    )
    engine = make_engine(url)
    old = PasswordHasher(time_cost=1, memory_cost=8192).hash("long-enough-pass")
    with transaction(engine) as db:
        row = db.exec(select(StaffRow)).one()
        row.password_hash = old
        db.add(row)
    srv = make_server(url, tmp_path).start()
    try:
        http = httpx.Client(base_url=srv.url)
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
        response = http.post(
            "/login", data={"login_id": "s1", "password": "long-enough-pass", "csrf_token": token}
        )
        assert response.status_code == 303
    finally:
        srv.stop()
    with Session(engine) as db:
        new = db.exec(select(StaffRow)).one().password_hash
    assert new != old and PasswordHasher().verify(new, "long-enough-pass")
    assert not PasswordHasher().check_needs_rehash(new)


def test_participants_page_is_audited_and_validates_input(server, staff, engine):
    support = staff("support")

    def audits() -> int:
        with Session(engine) as db:
            return db.exec(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "participants.list")
            ).one()

    before = audits()
    page = support.http.get("/participants")
    assert page.status_code == 200 and "P001" in page.text
    assert audits() == before + 1

    headers = {"X-CSRF-Token": support.csrf, "HX-Request": "true"}
    good = {"code": "Z-900", "display_name": "みずき", "age_bracket": "20s", "district": "akasaka"}
    assert support.http.post("/participants", data=good, headers=headers).status_code == 200
    duplicate = support.http.post("/participants", data=good, headers=headers)
    assert duplicate.status_code == 409 and "すでに登録されています" in duplicate.text
    bad = support.http.post(
        "/participants", data={**good, "code": "Z-901", "district": "shinjuku"}, headers=headers
    )
    assert bad.status_code == 422 and "地区の選択肢が正しくありません。" in bad.text
    with Session(engine) as db:
        assert db.exec(code_lookup("Z-901")).first() is None
        stored = db.exec(code_lookup("Z-900")).one()
    assert stored.display_name == "みずき" and stored.district == "akasaka"
    assert staff("ward").http.get("/participants").status_code == 403
    assert (
        staff("facilitator")
        .http.post(
            "/participants",
            data={**good, "code": "Z-902"},
            headers={"X-CSRF-Token": staff("facilitator").csrf},
        )
        .status_code
        == 403
    )
