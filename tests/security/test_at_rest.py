"""What reaches the disk (issue 11, 8): the raw bytes of the database and its WAL hold no
avatar name, participant code, typed login id, finalised free text or email address, and the
files are readable by their owner only."""

import re
import stat
from pathlib import Path

import httpx
import pytest

from tests.conftest import Staff, make_server, new_meetup, new_participant, seed

WARD = "ward-desk-7731@city.example.jp"
TYPED_ID = "hunter2-typed-into-the-id-field"
NOTABLE = "確定後も暗号化される特記事項テキスト"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A server that was used: a participant added and forced out (a ward email queued), a
    failed login, a monthly report finalised. Returns the database path and the secrets."""
    tmp = tmp_path_factory.mktemp("at-rest") / "private"
    url = f"sqlite:///{tmp / 'console.db'}"
    engine, _ = seed(url)
    server = make_server(url, tmp.parent, WARD_REPORT_ADDRESS=WARD).start()
    try:
        manager = Staff(server, "manager")
        added = manager.http.post(
            "/participants",
            data={
                "code": "ZQ-4471",
                "display_name": "あおぞらのアバター",
                "age_bracket": "20s",
                "district": "azabu",
            },
            headers={"X-CSRF-Token": manager.csrf, "HX-Request": "true"},
        )
        assert added.status_code == 200, added.text
        person = new_participant(engine, name="ゆうやけ")
        meetup_id = new_meetup(engine)
        manager.command(meetup_id, "open_doors")
        manager.command(meetup_id, "duty_on", post="overall")
        assert (
            manager.command(
                meetup_id, "enter", participant_code=person.code, space="exchange"
            ).status_code
            == 200
        )
        exited = manager.command(
            meetup_id, "force_exit", participant_id=person.id, reason="危険", immediate="on"
        )
        assert exited.status_code == 200, exited.text
        with httpx.Client(base_url=server.url) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
            client.post("/login", data={"login_id": TYPED_ID, "password": "x", "csrf_token": token})
        headers = {"X-CSRF-Token": manager.csrf}
        saved = manager.http.post(
            "/monthly/2026/10/text", data={"notable": NOTABLE}, headers=headers
        )
        assert saved.status_code == 303, saved.text
        final = manager.http.post(
            "/monthly/2026/10/finalise", data={"version": "1", "agree": "on"}, headers=headers
        )
        assert final.status_code == 303, final.text
        secrets = [
            "ZQ-4471",
            "あおぞらのアバター",
            person.code,
            person.display_name,
            TYPED_ID,
            NOTABLE,
            WARD,
        ]
    finally:
        server.stop()
    return tmp / "console.db", secrets


def test_the_database_and_its_wal_hold_none_of_it_in_the_clear(written):
    database, secrets = written
    raw = b"".join(
        path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists()
    )
    assert len(raw) > 10_000  # the files were read, not an empty stand-in
    for secret in secrets:
        assert secret.encode() not in raw, secret


def test_the_files_are_private(written):
    database, _ = written
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
