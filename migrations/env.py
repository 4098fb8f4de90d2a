"""Alembic's environment: the database against every domain's tables.

`python -m console migrate` runs it with the connection it holds (`config.attributes`); the
`alembic` command (README: "Changing the schema") runs it against DATABASE_URL. Either way the
composition root's `bootstrap()` has imported every domain's models first, so autogenerate
compares the database with all the tables, not the few some import happened to load.
"""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

from console import settings
from console.store import schema
from console.store.db import make_engine, normalise_url
from console.web.composition import bootstrap

bootstrap()
config = context.config


def configure(**kwargs) -> None:
    context.configure(
        target_metadata=SQLModel.metadata,
        # SQLite cannot ALTER most things: a changed table is copied into a new one.
        render_as_batch=True,
        compare_type=True,
        include_name=schema.include_name,
        render_item=schema.render_item,
        **kwargs,
    )


if context.is_offline_mode():  # `alembic upgrade --sql`: the SQL, for review
    configure(url=normalise_url(settings.DATABASE_URL), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    engine = make_engine(settings.DATABASE_URL)
    with engine.connect() as connection:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
