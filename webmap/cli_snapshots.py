"""``crossmap snapshot`` and ``crossmap briefing``: the map snapshot and the
briefing pack from the command line, so that a weekly pack can be
scheduled (cron, systemd timer)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap import snapshots
from webmap.cli_reports import _session
from webmap.filters import FilterError


def init_app(app):
    app.cli.add_command(snapshot_command)
    app.cli.add_command(briefing_command)


def _filter_options(command):
    """The filter and clustering options of the API, as CLI options."""
    options = [
        click.option("--start", help="Premier jour (AAAA-MM-JJ)."),
        click.option("--end", help="Dernier jour inclus (AAAA-MM-JJ)."),
        click.option("--agencies", help="Codes de services séparés par des virgules."),
        click.option("--categories", help="Codes de catégories séparés par des virgules."),
        click.option("--substances", help="Codes de produits séparés par des virgules."),
        click.option("--min-grading", help="Cotation minimale, par ex. B2."),
        click.option("--bbox", help="Emprise du filtre ouest,sud,est,nord (degrés WGS84)."),
        click.option("--zone", help="Zone : polygone GeoJSON (WGS84), ou @fichier.geojson."),
        click.option("--eps", help="Rayon des points chauds (m), 250 par défaut."),
        click.option("--min-samples", help="Nombre minimum de signalements d'un point chaud, 5 par défaut."),
        click.option("--time-eps", help="Fenêtre de temps des points chauds (jours)."),
        click.option("--view", help="Vue de la carte ouest,sud,est,nord (degrés WGS84)."),
        click.option("--layers", help="Couches : communes,reports,hotspots (toutes par défaut)."),
        click.option("--title", help="Titre imprimé."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _parse(params):
    zone = params.get("zone")
    if zone and zone.startswith("@"):
        params["zone"] = Path(zone[1:]).read_text(encoding="utf-8")
    try:
        return snapshots.parse_snapshot_request(
            {k: v for k, v in params.items() if v is not None},
            known_agencies=[a["code"] for a in current_app.config["AGENCIES"]],
            tile_layers=current_app.config.get("TILE_LAYERS") or (),
        )
    except FilterError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.parameter.replace('_', '-')}") from None


@click.command("snapshot")
@with_appcontext
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Fichier .png (diapositive) ou .pdf (page imprimée).")
@_filter_options
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
    author = snapshots.author_name()
    session = _session()
    result = snapshots.make_snapshot(session, snapshot_request, output=output, author=author)
    out.write_bytes(result.png() if output == "png" else result.pdf())
    snapshots.record_export(session, "snapshot", output, snapshot_request, author)
    click.echo(f"Carte enregistrée dans {out}.")


@click.command("briefing")
@with_appcontext
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Fichier .pdf.")
@click.option("--from", "start", help="Premier jour (AAAA-MM-JJ) ; par défaut 12 semaines avant --to.")
@click.option("--to", "end", help="Dernier jour inclus (AAAA-MM-JJ) ; par défaut aujourd'hui.")
@click.option("--agencies", help="Codes de services séparés par des virgules.")
@click.option("--categories", help="Codes de catégories séparés par des virgules.")
@click.option("--substances", help="Codes de produits séparés par des virgules.")
@click.option("--min-grading", help="Cotation minimale, par ex. B2.")
@click.option("--bbox", help="Emprise du filtre ouest,sud,est,nord (degrés WGS84).")
@click.option("--zone", help="Zone : polygone GeoJSON (WGS84), ou @fichier.geojson.")
@click.option("--eps", help="Rayon des points chauds (m), 250 par défaut.")
@click.option("--min-samples", help="Nombre minimum de signalements d'un point chaud, 5 par défaut.")
@click.option("--time-eps", help="Fenêtre de temps des points chauds (jours).")
@click.option("--title", help="Titre imprimé.")
def briefing_command(out, **params):
    """Briefing pack (PDF): cover map, hotspots, emerging places, weekly
    counts, operation zones."""
    if out.suffix.lower() != ".pdf":
        raise click.BadParameter("extension .pdf attendue", param_hint="--out")
    snapshot_request = _parse(params)
    author = snapshots.author_name()
    session = _session()
    out.write_bytes(snapshots.make_briefing(session, snapshot_request, author=author))
    snapshots.record_export(session, "briefing", "pdf", snapshot_request, author)
    click.echo(f"Dossier de réunion enregistré dans {out}.")
