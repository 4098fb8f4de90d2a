"""Column types every table uses: UTC times that come back aware, whatever the database."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores UTC (naive in SQLite, timestamptz in PostgreSQL); always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def utcnow() -> datetime:
    return datetime.now(UTC)
