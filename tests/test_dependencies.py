"""Declared, bounded dependencies: everything the code imports is in pyproject.toml, and the
lock file pins each declared package inside its bounds."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = {canonicalize_name(Requirement(r).name): Requirement(r) for r in PROJECT["dependencies"]}
TEST = {
    canonicalize_name(Requirement(r).name): Requirement(r)
    for r in PROJECT["optional-dependencies"]["test"]
}


def imported(folder: str) -> set[str]:
    """The top-level modules that the files under `folder` import, ours and stdlib left out."""
    names = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"console", "tests", "bench"}


def distributions(modules: set[str]) -> set[str]:
    found = packages_distributions()
    return {canonicalize_name(d) for m in modules for d in found.get(m, [m])}


def test_everything_the_console_imports_is_declared():
    undeclared = distributions(imported("console") | imported("migrations")) - set(RUNTIME)
    assert undeclared == set()


def test_everything_the_tests_import_is_declared():
    undeclared = distributions(imported("tests")) - set(RUNTIME) - set(TEST)
    assert undeclared == set()


def test_the_lock_pins_every_dependency_inside_its_bounds():
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", lock, re.M)
    }
    for name, requirement in RUNTIME.items():
        assert name in pinned, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]}"
    assert "--hash=sha256:" in lock
