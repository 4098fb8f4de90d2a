"""The shape of the code: layers and no cycles (import-linter), one registry that is complete,
one permission table that is used, modules small enough to read."""

import re

import pytest
from importlinter.cli import lint_imports

from console.live.events import Body
from console.live.registry import Domain, RegistryError, compose
from console.security.permissions import PERMISSIONS, Action
from console.session.domain import DOMAIN as SESSION
from console.session.events import StaffNotePosted
from console.session.state import new_state
from console.web.composition import DOMAINS, REGISTRY
from tests.conftest import ROOT

MAX_MODULE_LINES = 400


def test_import_contracts_hold():
    """pyproject's [tool.importlinter]: web above domains above the engine above the store,
    and no cycles between siblings. A new flat module under console/ fails here too."""
    assert (
        lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0
    )


def test_every_command_names_an_action_of_the_permission_table():
    assert REGISTRY.commands, "no commands registered"
    for name, command in REGISTRY.commands.items():
        assert command.action in PERMISSIONS, name


def test_no_action_in_the_permission_table_is_unused():
    code = "\n".join(p.read_text() for p in (ROOT / "console").rglob("*.py"))
    code = code.replace((ROOT / "console/security/permissions.py").read_text(), "")
    pages = "\n".join(p.read_text() for p in (ROOT / "templates").rglob("*.html"))
    for action in Action:
        in_code = re.search(rf"\bAction\.{action.name}\b", code)
        in_templates = re.search(rf"can\(['\"]{action.value}['\"]\)", pages)
        assert in_code or in_templates, f"{action.name} is in the table but nothing asks for it"


def test_every_registered_event_kind_has_a_fold_and_every_fold_a_kind():
    assert set(REGISTRY.folds) == set(REGISTRY.events)
    assert len(REGISTRY.events) == sum(len(d.events) for d in DOMAINS)


def _compose(*domains: Domain):
    return compose(domains, new_state=new_state, closed_status="closed", board=REGISTRY.board)


def test_a_command_registered_twice_stops_start_up():
    twin = Domain(name="twin", commands={"note": REGISTRY.commands["note"]})
    with pytest.raises(RegistryError, match="'note' is registered twice"):
        _compose(SESSION, twin)


def test_an_event_kind_without_a_fold_stops_start_up():
    class Unfolded(Body):
        type = "unfolded"

    with pytest.raises(RegistryError, match="without a fold: unfolded"):
        _compose(SESSION, Domain(name="orphan", events=(Unfolded,)))


def test_a_hook_for_an_unknown_event_kind_stops_start_up():
    with pytest.raises(RegistryError, match="reactions for unknown event kinds: nothing"):
        _compose(SESSION, Domain(name="stray", reactions={"nothing": (lambda *a: None,)}))


def test_an_event_kind_registered_twice_stops_start_up():
    again = Domain(name="again", events=(StaffNotePosted,))
    with pytest.raises(RegistryError, match="'staff_note_posted' is registered twice"):
        _compose(SESSION, again)


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "console").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these by concept: {long}"
