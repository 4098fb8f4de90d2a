"""care: follow-ups, block decisions, step-up plans, sharing state, leak cases

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-27 03:46:18.269990
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blockdecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("exit_seq", sa.Integer(), nullable=False),
        sa.Column("exited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meetup_id", "exit_seq"),
    )
    with op.batch_alter_table("blockdecision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blockdecision_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("why", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=48), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["done_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source"),
    )
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_followup_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "supportneed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["marked_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supportneed", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supportneed_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "supportplan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("wish", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("slip_received", sa.Date(), nullable=True),
        sa.Column("slip_for", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supportplan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supportplan_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "planstage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["supportplan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("planstage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_planstage_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "leakcase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("affected", sa.Text(), nullable=False),
        sa.Column("affected_count", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "leakupdate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["leakcase.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leakupdate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leakupdate_case_id"), ["case_id"], unique=False)

    op.create_table(
        "recordsharing",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waived_by", sa.Integer(), nullable=True),
        sa.Column("waived_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["consultationrecord.id"]),
        sa.ForeignKeyConstraint(["waived_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("record_id"),
    )


def downgrade() -> None:
    with op.batch_alter_table("leakupdate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leakupdate_case_id"))

    op.drop_table("leakupdate")
    op.drop_table("leakcase")
    op.drop_table("recordsharing")
    with op.batch_alter_table("planstage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planstage_plan_id"))

    op.drop_table("planstage")
    with op.batch_alter_table("supportplan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supportplan_participant_id"))

    op.drop_table("supportplan")
    with op.batch_alter_table("supportneed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supportneed_participant_id"))

    op.drop_table("supportneed")
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_participant_id"))
        batch_op.drop_index(batch_op.f("ix_followup_owner_id"))
        batch_op.drop_index(batch_op.f("ix_followup_due"))

    op.drop_table("followup")
    with op.batch_alter_table("blockdecision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blockdecision_participant_id"))

    op.drop_table("blockdecision")
