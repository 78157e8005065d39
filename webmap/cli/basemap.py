"""``crossmap basemap``: install, list and remove the cell's own basemaps
(MBTiles or PMTiles archives), kept in the instance folder."""

import click
from flask import current_app
from flask.cli import AppGroup

from geo.reference import load_outline
from webmap.cli.options import open_session
from webmap.services import audit as audit_trail
from webmap.services.basemaps import ROLES, BasemapError, BasemapRegistry

basemap_cli = AppGroup("basemap", help="Fonds de carte de la cellule (MBTiles, PMTiles) : ajouter, lister, retirer.")


def _registry():
    return BasemapRegistry(current_app.instance_path)


def _audit(action, **details):
    session = open_session()
    audit_trail.audit(session, action, **details)
    session.commit()


@basemap_cli.command("add")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--name", required=True, help="Nom affiché dans le sélecteur de couches, par ex. « Plan IGN 2026 ».")
@click.option("--attribution", default=None, help="Sources à citer (sinon celles de l'archive).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="base",
    show_default=True,
    help="base : un fond au choix ; under : relief ou orthophoto raster, sous les autres fonds.",
)
@click.option("--default", "make_default", is_flag=True, help="Fond affiché à l'ouverture de la carte.")
def add_command(archive, name, attribution, role, make_default):
    """Check an archive and install it (copied into the instance folder)."""
    try:
        basemap = _registry().add(
            archive, name=name, outline=load_outline(), attribution=attribution, role=role, default=make_default
        )
    except BasemapError as error:
        raise click.ClickException(f"fond de carte refusé, rien n'a changé : {error}") from None
    _audit("basemap_added", name=basemap.name, file=basemap.file, format=basemap.format)
    kind = "vectoriel" if basemap.kind == "vector" else "raster"
    click.echo(
        f"Fond de carte « {basemap.name} » installé : {kind} {basemap.format}, zooms {basemap.minzoom} "
        f"à {basemap.maxzoom}{' (par défaut)' if basemap.default else ''}."
    )


@basemap_cli.command("list")
def list_command():
    """List the installed basemaps."""
    basemaps = _registry().list()
    if not basemaps:
        click.echo("Aucun fond de carte installé : la carte montre les communes seules.")
        return
    for b in basemaps:
        flags = [f for f, on in (("par défaut", b.default), ("sous les autres", b.role == "under")) if on]
        click.echo(
            f"{b.name}\t{b.kind} {b.format}\tzooms {b.minzoom}-{b.maxzoom}\t{b.attribution or '-'}"
            + (f"\t({', '.join(flags)})" if flags else "")
        )


@basemap_cli.command("remove")
@click.argument("name")
def remove_command(name):
    """Remove an installed basemap (and its copy of the archive)."""
    try:
        basemap = _registry().remove(name)
    except BasemapError as error:
        raise click.ClickException(str(error)) from None
    _audit("basemap_removed", name=basemap.name, file=basemap.file)
    click.echo(f"Fond de carte « {basemap.name} » retiré.")


@basemap_cli.command("default")
@click.argument("name")
def default_command(name):
    """Choose the basemap shown when the map opens."""
    try:
        basemap = _registry().set_default(name)
    except BasemapError as error:
        raise click.ClickException(str(error)) from None
    _audit("basemap_default", name=basemap.name)
    click.echo(f"Fond de carte par défaut : « {basemap.name} ».")
