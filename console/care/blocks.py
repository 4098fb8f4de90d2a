"""The manager's decision after a forced exit (spec 6(1)⑥オ): a block is moderation's command
(it decides every pending decision about the participant, see `reactions.after_block`); not
blocking is decided here, with a reason, as an audited row."""

from collections.abc import Mapping

from sqlmodel import Session

from console.care.followups import audit
from console.care.models import BlockDecision
from console.core import forms
from console.core.errors import Refused
from console.store.columns import utcnow

REASON_MAX = 500


def decline(db: Session, staff_id: int, decision_id: int, form: Mapping[str, str]) -> BlockDecision:
    reason = forms.text(form, "reason", label="ブロックしない理由", max_len=REASON_MAX)
    decision = db.get(BlockDecision, decision_id)
    if decision is None:
        raise Refused("強制退室の記録が見つかりません。", status=404)
    if decision.decided_at is not None:
        raise Refused("この強制退室についてはすでに判断済みです。")
    decision.decided_at, decision.decided_by = utcnow(), staff_id
    decision.blocked, decision.reason = False, reason
    db.add(decision)
    audit(db, staff_id, "care.block_decision.decline", f"block_decision:{decision.id}")
    return decision
