"""The command line: the port from the settings (so from `.env` too), and the demo's warnings
and refusal."""

import os
import subprocess
import sys

from console import settings
from console.__main__ import parser
from tests.conftest import ROOT, free_port, run_console


def test_serve_and_demo_listen_on_the_port_from_the_settings(monkeypatch):
    monkeypatch.setattr(settings, "PORT", 8123)  # as read from the environment or .env
    assert parser().parse_args(["serve"]).port == 8123
    assert parser().parse_args(["demo"]).port == 8123


def test_the_demo_warns_at_start_when_the_pdf_font_is_missing(tmp_path):
    """Without fontconfig's fc-list on the PATH the font cannot be found: the demo says so
    before it serves (and serves all the same)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DATA_")},
        "PATH": str(tmp_path),  # no fc-list here
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "DATA_KEY_FILE": str(tmp_path / "data.key"),
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "console", "demo", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in demo.stdout:
            lines.append(line)
            if "デモ用ログイン" in line:
                break
    finally:
        demo.terminate()
        demo.wait(timeout=30)
    [warning] = [line for line in lines if line.startswith("警告")]
    assert "Noto Sans CJK" in warning and "fonts-noto-cjk" in warning


def test_the_demo_never_adds_its_logins_to_a_production_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    key = str(tmp_path / "data.key")
    made = run_console(
        "init",
        "--login-id",
        "sato",
        "--display-name",
        "管理者 佐藤",
        "--password-stdin",
        "--key-file",
        key,
        input="long-enough-pass\n",
        DATABASE_URL=url,
    )
    assert made.returncode == 0, made.stderr
    demo = run_console("demo", "--port", str(free_port()), DATABASE_URL=url, DATA_KEY_FILE=key)
    assert demo.returncode == 1 and "デモ用ログインは追加しません" in demo.stderr
