"""Creating and bringing up to date the schema, and the data changes that go with it.

The tables are those registered with SQLModel's metadata: the composition root
(`console.web.composition.bootstrap`) imports every domain's models first. Changes are
additive: a new table, a new nullable column, a new index; a column that became encrypted has
its values in the clear sealed, and an empty blind index filled.
"""

from sqlalchemy import String, inspect, select, type_coerce, update
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from console.store import crypto
from console.store.db import is_postgres, transaction


def migrate(engine: Engine) -> None:
    """Bring the database up to the models. Safe to run on every release and every start."""
    SQLModel.metadata.create_all(engine)
    _add_missing_columns(engine)
    _create_missing_indexes(engine)
    _widen_encrypted_columns(engine)
    _seal_values_in_the_clear(engine)
    _fill_blind_indexes(engine)


def _add_missing_columns(engine: Engine) -> None:
    """A nullable column added to a model is added to its table."""
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(engine.dialect)
                    conn.exec_driver_sql(
                        f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                    )


def _create_missing_indexes(engine: Engine) -> None:
    for table in SQLModel.metadata.sorted_tables:
        for index in table.indexes:
            index.create(engine, checkfirst=True)


def _widen_encrypted_columns(engine: Engine) -> None:
    """A column that became encrypted holds longer values than its old VARCHAR allowed."""
    if not is_postgres(engine):
        return  # SQLite does not enforce lengths
    existing = inspect(engine)
    with engine.begin() as conn:
        for table, column in crypto.encrypted_columns():
            kinds = {c["name"]: c["type"] for c in existing.get_columns(table.name)}
            if getattr(kinds.get(column.name), "length", None):
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ALTER COLUMN "{column.name}" TYPE TEXT'
                )


def _seal_values_in_the_clear(engine: Engine) -> None:
    """Encrypt values written before their column was encrypted (the key is read only when
    there are any: a fresh database needs none to be created)."""
    for table, column in crypto.encrypted_columns():
        raw = type_coerce(column, String)
        (key,) = table.primary_key.columns
        with transaction(engine) as db:
            rows = db.execute(
                select(key, raw).where(column.is_not(None), ~raw.startswith(f"{crypto.PREFIX}:"))
            ).all()
            for row_id, plaintext in rows:
                sealed = crypto.keyring().encrypt(plaintext, context=column.type.context)
                db.execute(
                    update(table)
                    .where(key == row_id)
                    .values({column.name: type_coerce(sealed, String)})
                )


def _fill_blind_indexes(engine: Engine) -> None:
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            source = column.info.get("blind_index_of")
            if source is None:
                continue
            (key,) = table.primary_key.columns
            with transaction(engine) as db:
                rows = db.execute(select(key, table.c[source]).where(column.is_(None))).all()
                for row_id, value in rows:
                    index = crypto.blind_index(value, context=f"{table.name}.{source}")
                    db.execute(update(table).where(key == row_id).values({column.name: index}))
