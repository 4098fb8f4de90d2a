"""`init` for production, and the keys a database records: serve and rotate-key refuse a key
set that is not the database's, naming both; a missing key is one line, never a traceback."""

import shutil

from sqlmodel import Session, func, select

from console.security.models import Staff as StaffRow
from console.session.models import Participant
from console.store import crypto, datakeys
from console.store.db import make_engine
from console.store.models import DataKey
from tests.conftest import KEY_FILE, Staff, free_port, make_server, run_console, seed

PASSWORD = "demo-pass-2026\n"  # what tests/conftest.py's Staff logs in with


def init(url: str, *args: str, **env: str):
    return run_console(
        "init",
        "--login-id",
        "Boss",
        "--display-name",
        "管理者 本番",
        "--password-stdin",
        *args,
        input=PASSWORD,
        DATABASE_URL=url,
        **env,
    )


def one_line(output: str) -> str:
    """The refusal, checked to be one line and no traceback."""
    assert "Traceback" not in output
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def key_id(path) -> str:
    return crypto.Keyring.from_json(path.read_text()).current


def staff_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            return db.exec(select(func.count()).select_from(StaffRow)).one()
    finally:
        engine.dispose()


def test_init_on_an_empty_database_then_serve_then_a_second_init_refuses(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'console.db'}"
    config = tmp_path / "config"
    done = init(url, XDG_CONFIG_HOME=str(config))
    assert done.returncode == 0, done.stderr
    key_file = config / "session-console" / "data.key"  # proposed: outside the data directory
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert f"DATA_KEY_FILE={key_file}" in done.stdout and key_id(key_file) in done.stdout

    srv = make_server(url, tmp_path, DATA_KEY_FILE=str(key_file)).start()
    try:
        home = Staff(srv, "boss").http.get("/")
        assert home.status_code == 200 and "管理者 本番" in home.text
    finally:
        srv.stop()

    other_key = tmp_path / "other.key"
    again = init(url, "--key-file", str(other_key))
    assert again.returncode == 1
    assert "すでに初期化されています" in one_line(again.stderr)
    assert not other_key.exists() and staff_count(url) == 1


def test_init_can_print_the_keys_to_set_in_the_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    done = init(url, "--print-keys")
    assert done.returncode == 0, done.stderr
    settings = dict(
        line.split("=", 1) for line in done.stdout.splitlines() if line.startswith("DATA_")
    )
    assert set(settings) == {"DATA_KEYS", "DATA_INDEX_KEY"}
    assert not list(tmp_path.glob("*.key"))
    srv = make_server(url, tmp_path, DATA_KEY_FILE=str(tmp_path / "none.key"), **settings)
    srv.start()
    try:
        assert Staff(srv, "boss").http.get("/").status_code == 200
    finally:
        srv.stop()


def serve(url: str, **env: str):
    """`python -m console serve` on a free port: it should refuse, so it must end."""
    return run_console("serve", "--port", str(free_port()), DATABASE_URL=url, **env)


def test_serve_with_a_wrong_key_refuses_to_start_naming_both_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    right, wrong = tmp_path / "right.key", tmp_path / "wrong.key"
    assert init(url, "--key-file", str(right)).returncode == 0
    crypto.create_key_file(wrong)
    refused = serve(url, DATA_KEY_FILE=str(wrong))
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "Traceback" not in output
    assert "データ暗号鍵が一致しません" in output
    assert key_id(right) in output and key_id(wrong) in output and str(wrong) in output


def test_serve_without_a_key_says_so_in_one_line_and_points_to_init(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    missing = tmp_path / "missing.key"
    refused = serve(url, DATA_KEY_FILE=str(missing))
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "Traceback" not in output
    [line] = [line for line in output.splitlines() if "データ暗号鍵がありません" in line]
    assert str(missing) in line and "console init" in line and "demo" not in line


def decrypts_with(url: str, key_file) -> list[str]:
    """The participants' names of `url`, read with `key_file`'s keys alone."""
    previous = crypto.keyring()
    crypto.use(crypto.Keyring.from_json(key_file.read_text()))
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            return sorted(p.display_name for p in db.exec(select(Participant)))
    finally:
        engine.dispose()
        crypto.use(previous)


def recorded(url: str) -> set[tuple[str, str]]:
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            return {(k.key_id, k.fingerprint) for k in db.exec(select(DataKey))}
    finally:
        engine.dispose()


def test_rotate_key_against_another_database_refuses_and_changes_nothing(tmp_path):
    # Database A holds encrypted data under key A (a copy of the tests' key, recorded).
    a_url = f"sqlite:///{tmp_path / 'a.db'}"
    engine, _ = seed(a_url)
    datakeys.check(engine, crypto.keyring())
    engine.dispose()
    key_a = tmp_path / "keys" / "a.key"
    key_a.parent.mkdir()
    shutil.copy(KEY_FILE, key_a)
    names = decrypts_with(a_url, key_a)
    assert names
    # Database B was initialised with key B; a scratch database was only migrated.
    b_url = f"sqlite:///{tmp_path / 'b.db'}"
    assert init(b_url, "--key-file", str(tmp_path / "b.key")).returncode == 0
    scratch_url = f"sqlite:///{tmp_path / 'scratch.db'}"
    assert run_console("migrate", DATABASE_URL=scratch_url).returncode == 0
    key_bytes, b_records = key_a.read_bytes(), recorded(b_url)

    wrong = run_console("rotate-key", DATABASE_URL=b_url, DATA_KEY_FILE=str(key_a))
    assert wrong.returncode == 1
    line = one_line(wrong.stderr)
    assert "データ暗号鍵が一致しません" in line
    assert key_id(tmp_path / "b.key") in line and key_id(key_a) in line

    scratch = run_console("rotate-key", DATABASE_URL=scratch_url, DATA_KEY_FILE=str(key_a))
    assert scratch.returncode == 1 and "DATABASE_URL" in one_line(scratch.stderr)

    assert key_a.read_bytes() == key_bytes
    assert sorted(p.name for p in key_a.parent.iterdir()) == ["a.key"]  # nor a lock file
    assert decrypts_with(a_url, key_a) == names
    assert recorded(b_url) == b_records

    rotated = run_console("rotate-key", DATABASE_URL=a_url, DATA_KEY_FILE=str(key_a))
    assert rotated.returncode == 0, rotated.stderr  # the right pair still rotates
    assert key_id(key_a) != crypto.keyring().current
    assert decrypts_with(a_url, key_a) == names


def test_rotate_key_without_a_key_is_one_line_and_leaves_no_lock_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    assert init(url, "--key-file", str(tmp_path / "data.key")).returncode == 0
    keys = tmp_path / "keys"
    keys.mkdir()
    done = run_console("rotate-key", DATABASE_URL=url, DATA_KEY_FILE=str(keys / "data.key"))
    assert done.returncode == 1
    assert "データ暗号鍵がありません" in one_line(done.stderr)
    assert list(keys.iterdir()) == []
    assert len(recorded(url)) == 2  # the data key and the index key, as init left them
