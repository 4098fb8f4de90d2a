"""What the bridge hands the live engine: its event kinds and folds, the staff's link command,
and the consultation that a platform leave ends (as any leave does)."""

from console.bridge import events as ev
from console.bridge.commands import COMMANDS
from console.bridge.state import FOLDS
from console.consultations.commands import end_open_consultation
from console.live.registry import Domain

DOMAIN = Domain(
    name="bridge",
    events=ev.EVENTS,
    folds=FOLDS,
    commands=COMMANDS,
    reactions={ev.PlatformLeft.type: (end_open_consultation,)},
)
