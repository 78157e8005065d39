"""What the commands share: the report filter options (the API's
parameters as CLI options), reading a ``@file`` zone, and a migrated session."""

from pathlib import Path

import click
from flask import current_app

from webmap import db
from webmap.config import DEFAULTS, agency_codes
from webmap.services.filters import FilterError

FILTER_OPTIONS = [
    click.option("--start", help="Premier jour (AAAA-MM-JJ)."),
    click.option("--end", help="Dernier jour inclus (AAAA-MM-JJ)."),
    click.option("--agencies", help="Codes de services séparés par des virgules."),
    click.option("--categories", help="Codes de catégories séparés par des virgules."),
    click.option("--substances", help="Codes de produits séparés par des virgules."),
    click.option("--min-grading", help="Cotation minimale, par ex. B2."),
    click.option("--bbox", help="Emprise du filtre ouest,sud,est,nord (degrés WGS84)."),
    click.option("--zone", help="Zone : polygone GeoJSON (WGS84), ou @fichier.geojson."),
]


def clustering_options():
    """``--eps``, ``--min-samples`` and ``--time-eps``, with the configured defaults in their help."""
    clustering = DEFAULTS["CLUSTERING"]
    return [
        click.option("--eps", help=f"Rayon des points chauds (m), {clustering['eps']:g} par défaut."),
        click.option(
            "--min-samples",
            help=f"Nombre minimum de signalements d'un point chaud, {clustering['min_samples']} par défaut.",
        ),
        click.option("--time-eps", help="Fenêtre de temps des points chauds (jours)."),
    ]


def with_options(*options):
    """Decorate a command with these click options, in the order given."""

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def read_zone(params):
    """Replace a ``@file.geojson`` zone by the file's text."""
    zone = params.get("zone")
    if zone and zone.startswith("@"):
        params["zone"] = Path(zone[1:]).read_text(encoding="utf-8")
    return params


def known_agencies():
    return agency_codes(current_app.config)


def bad_parameter(error: FilterError):
    """The filter's French error as click's, naming the option."""
    return click.BadParameter(error.message, param_hint=f"--{error.parameter.replace('_', '-')}")


def open_session():
    """A session on a database migrated to the latest schema."""
    engine = db.get_engine()
    if not db.is_migrated(engine):
        db.migrate(engine)
    return db.get_session()
