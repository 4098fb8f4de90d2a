"""The README documents every setting and keeps its two set-up commands."""

import re
from pathlib import Path

from console import settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


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
