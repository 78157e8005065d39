"""``crossmap purge-reports``: the retention period, applied and audited."""

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap.db import get_session
from webmap.services.audit import purge_reports


@click.command("purge-reports")
@with_appcontext
@click.option(
    "--older-than-years",
    type=int,
    default=None,
    help="Durée de conservation en années (défaut : REPORT_RETENTION_YEARS).",
)
def purge_command(older_than_years):
    """Delete reports older than the retention period (audited)."""
    years = older_than_years or current_app.config["REPORT_RETENTION_YEARS"]
    if not years:
        raise click.ClickException("aucune durée de conservation : donnez --older-than-years ou REPORT_RETENTION_YEARS")
    session = get_session()
    try:
        removed = purge_reports(session, older_than_years=years)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(f"{removed} signalement(s) de plus de {years} an(s) supprimé(s).")
