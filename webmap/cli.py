"""The ``crossmap`` command: a Flask CLI group with crossmap's own commands."""

import json
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from webmap import db, store


def main():
    from webmap import create_app

    FlaskGroup(create_app=create_app, help="crossmap: carte du renseignement stupéfiants.")()


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(db_revision_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(demo_command)


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


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def serve_command(host, port, threads):
    """Serve the application with waitress (a production WSGI server)."""
    import waitress

    app = current_app._get_current_object()
    # Build what every first page view needs before the first visitor asks.
    with app.test_request_context("/"):
        from webmap.map import basemap

        basemap()
    click.echo(f"crossmap sur http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads)


@click.command("demo")
@with_appcontext
@click.option("--seed", default=88, show_default=True, type=int, help="Graine : même graine, mêmes données.")
@click.option("--years", default=3, show_default=True, type=click.IntRange(1, 20))
@click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des signalements.")
@click.option("--replace", is_flag=True, help="Remplacer les données fictives déjà chargées.")
def demo_command(seed, years, if_empty, replace):
    """Load fictitious demo reports (clearly marked as such)."""
    from analysis.demo import generate_reports
    from geo.reference import load_communes

    engine = db.get_engine()
    if not db.is_migrated(engine):
        db.migrate(engine)
    session = db.get_session()
    existing = store.count_reports(session)
    if existing and if_empty:
        click.echo(f"La base contient déjà {existing} signalements : données de démonstration non chargées.")
        return
    if existing and not replace:
        raise click.ClickException(
            f"La base contient déjà {existing} signalements. "
            "Utilisez --replace pour remplacer les données fictives."
        )
    reports, truth = generate_reports(load_communes(), seed=seed, years=years)
    # One transaction: a failure leaves the previous data untouched.
    removed = store.delete_fictitious(session) if replace else 0
    store.add_demo_batch(session, reports)
    session.commit()
    truth_path = Path(current_app.instance_path) / "demo-truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1))
    if removed:
        click.echo(f"{removed} signalements fictifs supprimés.")
    click.echo(f"{len(reports)} signalements FICTIFS chargés (graine {seed}, {years} ans).")
    click.echo(f"Vérité des points chauds plantés : {truth_path}")
