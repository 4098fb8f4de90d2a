"""What reports hand the live engine: a closed session's figures are kept once it closes, so
its summary and every later report over it read them instead of its whole log (if keeping
them fails, reports compute them)."""

from console.live.registry import Domain
from console.reports.inputs import keep_figures
from console.session import events as sev

DOMAIN = Domain(name="reports", after_commit={sev.MeetupClosed.type: (keep_figures,)})
