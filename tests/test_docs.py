"""The README documents every setting and keeps its two set-up commands."""

import re
import shlex
from pathlib import Path

from console import settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    names = [n for n in dir(settings) if n.isupper() and n not in {"ROOT", "TZ"}]
    assert names, "settings should define something"
    missing = [n for n in names if f"`{n}`" not in README]
    assert missing == []


def test_readme_has_the_two_set_up_commands_that_ci_runs():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert "pip install -e . && python -m console demo" in blocks
    assert "pip install -e '.[test]' && python -m pytest" in blocks
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "pip install -e '.[test]' && python -m pytest" in ci


def _uvicorn_flags(command: str) -> list[str]:
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    return words[words.index("console.app:app") + 1 :]


def test_the_readme_runs_many_workers_with_the_procfiles_flags():
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    readme = next(
        line
        for block in re.findall(r"```sh\n(.*?)\n```", README, re.S)
        for line in block.replace("\\\n", " ").splitlines()
        if "--workers" in line
    )
    flags = _uvicorn_flags(readme)
    at = flags.index("--workers")
    assert flags[:at] + flags[at + 2 :] == _uvicorn_flags(web)


def test_the_readme_states_the_password_policy_the_commands_enforce():
    from console.admin import MIN_PASSWORD

    assert f"at least {MIN_PASSWORD} characters" in README
