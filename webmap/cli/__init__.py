"""The ``crossmap`` command: a Flask CLI group with crossmap's own commands,
one module per command group."""

from flask.cli import FlaskGroup


def main():
    from webmap import create_app

    FlaskGroup(create_app=create_app, help="crossmap: carte du renseignement stupéfiants.")()


def init_app(app):
    from webmap.cli import audit, backtest, basemap, db, demo, reports, serve, snapshots, users

    for command in (
        db.init_db_command,
        db.db_revision_command,
        db.db_cli,
        serve.serve_command,
        serve.warm_command,
        demo.demo_command,
        reports.geocode_command,
        reports.import_command,
        reports.batches_command,
        reports.rollback_command,
        reports.export_command,
        reports.profiles_command,
        snapshots.snapshot_command,
        snapshots.briefing_command,
        users.users_cli,
        audit.purge_command,
        basemap.basemap_cli,
        backtest.backtest_command,
    ):
        app.cli.add_command(command)
