"""What the intake hands the live engine: the gate's refusals, folded and shown live."""

from console.intake import events as ev
from console.intake.state import FOLDS
from console.live.registry import Domain

DOMAIN = Domain(name="intake", events=ev.EVENTS, folds=FOLDS)
