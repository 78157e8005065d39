"""``crossmap demo``: fictitious demo reports, clearly marked as such."""

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from analysis.demo import generate_reports
from geo.reference import load_communes
from webmap.cli.options import open_session
from webmap.services import store


@click.command("demo")
@with_appcontext
@click.option("--seed", default=88, show_default=True, type=int, help="Graine : même graine, mêmes données.")
@click.option("--years", default=3, show_default=True, type=click.IntRange(1, 20))
@click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des signalements.")
@click.option("--replace", is_flag=True, help="Remplacer les données fictives déjà chargées.")
def demo_command(seed, years, if_empty, replace):
    """Load fictitious demo reports (clearly marked as such)."""
    session = open_session()
    existing = store.count_reports(session)
    if existing and if_empty:
        click.echo(f"La base contient déjà {existing} signalements : données de démonstration non chargées.")
        return
    if existing and not replace:
        raise click.ClickException(
            f"La base contient déjà {existing} signalements. Utilisez --replace pour remplacer les données fictives."
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
