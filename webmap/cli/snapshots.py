"""``crossmap snapshot`` and ``crossmap briefing``: the map snapshot and the
briefing pack from the command line, so that a weekly pack can be
scheduled (cron, systemd timer)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap.cli.options import (
    FILTER_OPTIONS,
    bad_parameter,
    clustering_options,
    known_agencies,
    open_session,
    read_zone,
    with_options,
)
from webmap.security.actor import current_actor
from webmap.services import snapshots
from webmap.services.filters import FilterError

BASEMAP_OPTIONS = [
    click.option("--basemap", help="Fond de carte installé (crossmap basemap list) dessiné sous la carte."),
    click.option("--under", help="Relief ou orthophoto installé (rôle under) fondu dans le fond de carte."),
]


def _parse(params):
    read_zone(params)
    try:
        return snapshots.parse_snapshot_request(
            {k: v for k, v in params.items() if v is not None},
            known_agencies=known_agencies(),
            tile_layers=current_app.config.get("TILE_LAYERS") or (),
            basemaps=snapshots.installed_basemap_names(),
        )
    except FilterError as error:
        raise bad_parameter(error) from None


@click.command("snapshot")
@with_appcontext
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Fichier .png (diapositive) ou .pdf (page imprimée).",
)
@with_options(
    *FILTER_OPTIONS,
    *clustering_options(),
    click.option("--view", help="Vue de la carte ouest,sud,est,nord (degrés WGS84)."),
    click.option("--layers", help="Couches : communes,reports,hotspots (toutes par défaut)."),
    click.option("--title", help="Titre imprimé."),
    *BASEMAP_OPTIONS,
)
@click.option("--size", help="Taille du PNG LARGEURxHAUTEUR en pixels (1920x1080 par défaut).")
@click.option("--paper", type=click.Choice(["A4", "A3"], case_sensitive=False), help="Format du PDF.")
@click.option("--orientation", type=click.Choice(["landscape", "portrait"]), help="Orientation du PDF.")
@click.option("--tiles", help="Fond de carte internet configuré (TILE_LAYERS), ajouté s'il est joignable.")
def snapshot_command(out, **params):
    """Map snapshot of the filtered reports and their hotspots (PNG or PDF)."""
    output = out.suffix.lower().lstrip(".")
    if output not in snapshots.FORMATS:
        raise click.BadParameter("extension .png ou .pdf attendue", param_hint="--out")
    snapshot_request = _parse(params)
    author = current_actor().name
    session = open_session()
    result = snapshots.make_snapshot(session, snapshot_request, output=output, author=author)
    out.write_bytes(result.png() if output == "png" else result.pdf())
    snapshots.record_export(session, "snapshot", output, snapshot_request, author)
    click.echo(f"Carte enregistrée dans {out}.")


@click.command("briefing")
@with_appcontext
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Fichier .pdf.")
@click.option("--from", "start", help="Premier jour (AAAA-MM-JJ) ; par défaut 12 semaines avant --to.")
@click.option("--to", "end", help="Dernier jour inclus (AAAA-MM-JJ) ; par défaut aujourd'hui.")
@with_options(
    *FILTER_OPTIONS[2:], *clustering_options(), click.option("--title", help="Titre imprimé."), *BASEMAP_OPTIONS
)
def briefing_command(out, **params):
    """Briefing pack (PDF): cover map, hotspots, emerging places, weekly
    counts, operation zones."""
    if out.suffix.lower() != ".pdf":
        raise click.BadParameter("extension .pdf attendue", param_hint="--out")
    snapshot_request = _parse(params)
    author = current_actor().name
    session = open_session()
    out.write_bytes(snapshots.make_briefing(session, snapshot_request, author=author))
    snapshots.record_export(session, "briefing", "pdf", snapshot_request, author)
    click.echo(f"Dossier de réunion enregistré dans {out}.")
