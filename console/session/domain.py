"""What the session hands the live engine: its events, their folds, its commands."""

from console.live.registry import Domain
from console.session import events as ev
from console.session.commands import COMMANDS
from console.session.state import FOLDS

DOMAIN = Domain(name="session", events=ev.EVENTS, folds=FOLDS, commands=COMMANDS)
