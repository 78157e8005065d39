"""Alembic environment: crossmap always hands it an open connection."""

from alembic import context

from webmap.db.models import Base


def include_object(item, name, type_, reflected, compare_to):
    # The PostGIS point (migration 0007) lives in the database only: the
    # models leave it out so that they stay the same on SQLite.
    return not (reflected and compare_to is None and name in ("geom", "ix_report_geom"))


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
