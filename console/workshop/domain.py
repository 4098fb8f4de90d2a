"""What the workshop hands the live engine: its events, their folds, its commands."""

from console.live.registry import Domain
from console.workshop import events as ev
from console.workshop.commands import COMMANDS
from console.workshop.state import FOLDS

DOMAIN = Domain(name="workshop", events=ev.EVENTS, folds=FOLDS, commands=COMMANDS)
