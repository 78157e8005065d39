"""``crossmap init-db`` and ``crossmap db-revision``: the schema."""

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import with_appcontext

from webmap import db


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database, or migrate it to the latest schema."""
    db.migrate(db.get_engine())
    click.echo(f"Base de données à jour : {current_app.config['DATABASE_URL']}")


@click.command("db-revision")
@with_appcontext
@click.argument("message")
def db_revision_command(message):
    """Write a new migration from the difference between models and database."""
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with db.get_engine().begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
