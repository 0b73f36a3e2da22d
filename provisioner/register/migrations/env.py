"""Alembic environment: runs on the connection open_register() hands over, else on $COLO_DB."""

from alembic import context
from sqlalchemy import Connection, create_engine

from provisioner.register import schema as schema
from provisioner.register.db import Base, default_url

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    with create_engine(default_url()).connect() as conn:
        _run(conn)
        conn.commit()
