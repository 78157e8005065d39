"""``crossmap init-db``, ``crossmap db-revision`` (the schema) and ``crossmap db copy``."""

import click
from alembic import command
from alembic.config import Config
from flask.cli import with_appcontext

from webmap import db


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database, or migrate it to the latest schema."""
    db.migrate(db.get_engine())
    url = db.get_engine().url.render_as_string(hide_password=True)
    click.echo(f"Base de données à jour : {url}")


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


@click.group("db")
def db_cli():
    """The database as a whole: copying it to another engine."""


@db_cli.command("copy")
@click.option("--from", "source", required=True, help="URL de la base source, ex. sqlite:////chemin/crossmap.sqlite")
@click.option("--to", "target", required=True, help="URL de la base cible (vide), ex. postgresql://crossmap@/crossmap")
def copy_command(source, target):
    """Copy every table (reports, history, batches, users, zones, audit trail...)
    into an empty database, then compare row counts and checksums."""
    from webmap.services.dbcopy import CopyError, copy_database

    source_engine, target_engine = db.make_engine(source), db.make_engine(target)
    try:
        report = copy_database(source_engine, target_engine)
    except CopyError as error:
        raise click.ClickException(str(error)) from None
    finally:
        source_engine.dispose()
        target_engine.dispose()
    click.echo(f"{'table':<18} {'lignes':>9}  somme SHA-256 (source = cible)")
    for table in report.tables:
        mark = "=" if table.same else "≠"
        click.echo(f"{table.name:<18} {table.rows:>9}  {table.source_sha256[:16]} {mark} {table.target_sha256[:16]}")
    click.echo(
        f"Copie terminée vers {target_engine.url.render_as_string(hide_password=True)} : "
        "nombres de lignes et sommes identiques."
    )
