"""a disposal run may be withdrawn before it is carried out

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disposal") as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            "fk_disposal_withdrawn_by_staff", "staff", ["withdrawn_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("disposal") as batch_op:
        batch_op.drop_constraint("fk_disposal_withdrawn_by_staff", type_="foreignkey")
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
