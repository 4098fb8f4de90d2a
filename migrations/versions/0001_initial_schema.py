"""The initial schema: every table as `create_all` made it before migrations (issue 16).

Its tables are written out here, in plain SQLAlchemy types (an encrypted column is TEXT, a
UTC time is a DateTime with time zone), so that this revision never changes when the models
do. `console.store.schema` also compares a database made by the old `create_all` with
`metadata()` before adopting it at this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def metadata() -> sa.MetaData:
    """The schema of this revision."""
    metadata = sa.MetaData()
    sa.Table(
        "loginthrottle",
        metadata,
        sa.Column("login_key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login_key"),
    )
    sa.Table(
        "meetup",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("doors_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_meetup_date", "date", unique=False),
    )
    sa.Table(
        "notice",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    sa.Table(
        "outboxmessage",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("to_addr", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.Index("ix_outboxmessage_next_attempt_at", "next_attempt_at", unique=False),
    )
    sa.Table(
        "participant",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("code_index", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("age_bracket", sa.String(length=16), nullable=False),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("district", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_participant_code_index", "code_index", unique=True),
    )
    sa.Table(
        "staff",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("qualification", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_staff_login_id", "login_id", unique=True),
    )
    sa.Table(
        "auditentry",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_auditentry_at", "at", unique=False),
        sa.Index("ix_auditentry_staff_id", "staff_id", unique=False),
    )
    sa.Table(
        "block",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["blocked_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by"],
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
        sa.Index("ix_block_participant_id", "participant_id", unique=False),
        sa.Index(
            "one_active_block_per_participant",
            "participant_id",
            unique=True,
            sqlite_where=sa.text("lifted_at IS NULL"),
            postgresql_where=sa.text("lifted_at IS NULL"),
        ),
    )
    sa.Table(
        "consultationrecord",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("start_seq", sa.Integer(), nullable=False),
        sa.Column("room", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("age_bracket", sa.String(length=16), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("follow_up", sa.Boolean(), nullable=False),
        sa.Column("helpline_consent", sa.Boolean(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
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
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_consultationrecord_meetup_id", "meetup_id", unique=False),
        sa.Index("ix_consultationrecord_participant_id", "participant_id", unique=False),
    )
    sa.Table(
        "event",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("command_id"),
        sa.UniqueConstraint("meetup_id", "seq"),
        sa.Index("ix_event_meetup_id", "meetup_id", unique=False),
        sa.Index("ix_event_participant_id", "participant_id", unique=False),
    )
    sa.Table(
        "figurescache",
        metadata,
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("roster", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
        ),
        sa.PrimaryKeyConstraint("meetup_id"),
    )
    sa.Table(
        "monthlyreport",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("notable", sa.Text(), nullable=False),
        sa.Column("ward_items", sa.Text(), nullable=False),
        sa.Column("correction_reason", sa.String(length=500), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["finalised_by"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "month", "version"),
    )
    sa.Table(
        "staffsession",
        metadata,
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
        sa.Index("ix_staffsession_staff_id", "staff_id", unique=False),
    )
    sa.Table(
        "wardreport",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_wardreport_meetup_id", "meetup_id", unique=False),
    )
    sa.Table(
        "handoff",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("prepared_by", sa.Integer(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_addr", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spoke_to", sa.Text(), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["consultationrecord.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_handoff_record_id", "record_id", unique=False),
    )
    return metadata


def upgrade() -> None:
    metadata().create_all(op.get_bind())


def downgrade() -> None:
    metadata().drop_all(op.get_bind())
