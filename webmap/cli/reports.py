"""Commands to bring reports in and out: ``geocode``, ``import``,
``batches``, ``rollback``, ``export`` and ``profiles``. Each parses its
options, calls a Flask-free function of ``geo`` or ``webmap`` and prints
the outcome in French."""

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from geo.geocoder import GeocodingError
from webmap.api.warm import warm_if_large
from webmap.cli.options import (
    FILTER_OPTIONS,
    bad_parameter,
    known_agencies,
    open_session,
    read_zone,
    with_options,
)
from webmap.security.actor import current_actor
from webmap.services import exporter, importer
from webmap.services.audit import audit
from webmap.services.filters import FilterError, parse_filter, select_reports

#: Rejections printed in full before the CLI points to the error file.
SHOWN_REJECTIONS = 30

STAGES = {
    "lecture": "Lecture",
    "validation": "Validation",
    "géocodage": "Géocodage",
    "enregistrement": "Enregistrement",
}


@click.command("geocode")
@with_appcontext
@click.argument("text")
@click.option("--allow-outside", is_flag=True, help="Accepter un lieu hors du département (signalé).")
def geocode_command(text, allow_outside):
    """Resolve a place (coordinates in any usual form, INSEE code, commune,
    postal code or address) and print the result as JSON, with how the text
    was read."""
    geocoder = importer.geocoder_from_config(current_app.config)
    try:
        place = geocoder.geocode(text, allow_outside=allow_outside)
        decision = importer.place_decision(0, text, place)
        click.echo(json.dumps(place.as_dict() | {"read_as": decision.how_label()}, ensure_ascii=False, indent=2))
    except GeocodingError as error:
        click.echo(json.dumps(error.as_dict(), ensure_ascii=False, indent=2))
        sys.exit(1)


class _Progress:
    """A click progress bar per stage; on a pipe, one line per stage, so a
    log (or a test watching the process) sees where the import is."""

    def __init__(self):
        self.stage = None
        self.bar = None
        self.done = 0

    def __call__(self, stage, done, total):
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=STAGES.get(stage, stage), file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("import")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", help="Service du fichier (code, nom ou alias) : toutes les lignes lui sont attribuées.")
@click.option("--profile", help="Profil de correspondance des colonnes enregistré (voir « crossmap profiles »).")
@click.option("--skip-invalid", is_flag=True, help="Importer les lignes valides et garder les rejets dans le lot.")
@click.option("--allow-before-2000", is_flag=True, help="Accepter des dates antérieures à 2000.")
@click.option("--allow-outside", is_flag=True, help="Accepter des lieux hors du département (signalés).")
@click.option(
    "--map",
    "column_map",
    multiple=True,
    metavar="COLONNE=CHAMP",
    help='Correspondance d\'une colonne (répétable), par ex. --map "Num PV=agency_ref".',
)
@click.option("--save-profile", metavar="NAME", help="Enregistrer la correspondance des colonnes sous ce nom.")
@click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier CSV des lignes rejetées (par défaut dans le dossier d'instance).",
)
def import_command(
    path, agency, profile, skip_invalid, allow_before_2000, allow_outside, column_map, save_profile, errors_out
):
    """Import an agency file (CSV, XLSX or GeoJSON) as one batch, all or nothing."""
    config = current_app.config
    session = open_session()
    mapping = None
    if column_map:
        mapping = _guessed_mapping(path)
        for item in column_map:
            header, separator, field_name = item.rpartition("=")
            if not separator or field_name not in importer.FIELDS and field_name != "":
                raise click.BadParameter(
                    f"« {item} » : attendu COLONNE=CHAMP, champs : {', '.join(importer.FIELDS)}", param_hint="--map"
                )
            mapping = {h: f for h, f in mapping.items() if f != field_name}
            mapping[header] = field_name
    options = importer.ImportOptions(
        agency=agency,
        profile=profile,
        mapping=mapping,
        skip_invalid=skip_invalid,
        allow_before_2000=allow_before_2000,
        allow_outside=allow_outside,
        max_rows=config["IMPORT_MAX_ROWS"],
        max_bytes=config["IMPORT_MAX_BYTES"],
        created_by=current_actor().name,
    )
    progress = _Progress()
    try:
        result = importer.import_and_commit(
            session,
            path,
            geocoder=importer.geocoder_from_config(config),
            known_agencies=config["AGENCIES"],
            options=options,
            progress=progress,
            vocabularies=importer.vocabularies_from_config(config),
            save_profile_as=save_profile,
            profile_mapping=options.mapping or (save_profile and _guessed_mapping(path)),
        )
    except importer.ImportFileError as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()

    for warning in result.warnings:
        click.echo(f"Attention : {warning}")
    if result.rejections:
        click.echo(f"{result.rejected} ligne(s) rejetée(s) sur {result.total_rows} :")
        for rejection in result.rejections[:SHOWN_REJECTIONS]:
            click.echo(
                f"  ligne {rejection.line}, colonne « {rejection.column} », valeur « {rejection.value} » : "
                f"{rejection.reason}"
            )
        errors_path = errors_out or _default_errors_path(path)
        errors_path.write_bytes(importer.rejections_csv(result.rejections))
        if len(result.rejections) > SHOWN_REJECTIONS:
            click.echo(f"  … et {len(result.rejections) - SHOWN_REJECTIONS} autre(s).")
        click.echo(f"Fichier des rejets : {errors_path}")
    if not result.written:
        raise click.ClickException(
            "Import annulé : aucun signalement enregistré. Corrigez le fichier, ou relancez avec --skip-invalid "
            "pour importer les lignes valides."
        )
    # The command line is audited as the web is (actor: the system user).
    batch = session.get(importer.ImportBatch, result.batch_id)
    audit(
        session,
        "import",
        batch=result.batch_id,
        filename=path.name,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
        agencies=sorted(importer.batch_agencies(session, [batch])[result.batch_id]),
    )
    session.commit()
    click.echo(
        f"Lot {result.batch_id} : {result.added} ajouté(s), {result.updated} mis à jour, "
        f"{result.unchanged} inchangé(s), {result.rejected} rejeté(s)."
    )
    if result.decisions:
        click.echo(f"{len(result.decisions)} décision(s) de lecture (crossmap batches --decisions {result.batch_id}).")
    seconds = warm_if_large(current_app._get_current_object(), background=False)
    if seconds is not None:
        click.echo(f"Première vue de la carte précalculée pour chaque service en {seconds:.0f} s.")


def _guessed_mapping(path):
    return importer.guess_mapping(importer.read_table(path).headers)


def _default_errors_path(path):
    folder = Path(current_app.instance_path) / "import-errors"
    folder.mkdir(exist_ok=True)
    return folder / f"{path.stem}-rejets-{datetime.now():%Y%m%d-%H%M%S}.csv"


@click.command("batches")
@with_appcontext
@click.option(
    "--decisions",
    "decisions_of",
    type=int,
    metavar="LOT",
    help="Afficher comment le lot a lu ses lieux et ses valeurs.",
)
def batches_command(decisions_of):
    """List import batches, newest first (or what one batch decided)."""
    session = open_session()
    if decisions_of is not None:
        decisions = importer.batch_decisions(session, decisions_of)
        if not decisions:
            click.echo(f"Aucune décision enregistrée pour le lot {decisions_of}.")
        for d in decisions:
            flag = " [approximation]" if d.approximate else ""
            click.echo(
                f"ligne(s) {d.lines} ({d.count}) — {d.field} : « {d.given} » → "
                f"{importer.how_label(d.how)} → {d.stored}{flag}"
            )
            if d.note:
                click.echo(f"    {d.note}")
        return
    batches = importer.list_batches(session)
    if not batches:
        click.echo("Aucun lot d'import.")
        return
    click.echo("lot  date              par           fichier                       ajoutés  maj  rejetés  état")
    for batch in batches:
        state = f"annulé le {batch.rolled_back_at:%d/%m/%Y %H:%M}" if batch.rolled_back_at else "actif"
        click.echo(
            f"{batch.id:<4} {batch.created_at:%d/%m/%Y %H:%M}  {(batch.created_by or '')[:12]:<12}  "
            f"{(batch.filename or batch.kind)[:28]:<28}  {batch.added:>7}  {batch.updated:>3}  {batch.rejected:>7}  {state}"
        )


@click.command("rollback")
@with_appcontext
@click.argument("batch_id", type=int)
def rollback_command(batch_id):
    """Roll back an import batch: remove the reports it added, restore
    those it updated."""
    session = open_session()
    try:
        outcome = importer.rollback_batch(session, batch_id, current_actor().name)
        audit(session, "rollback", batch=batch_id, **outcome)
        session.commit()
    except importer.BatchError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Lot {batch_id} annulé : {outcome['removed']} signalement(s) supprimé(s), "
        f"{outcome['restored']} restauré(s) dans leur version précédente."
    )


@click.command("export")
@with_appcontext
@click.option("--format", "format_name", type=click.Choice(sorted(exporter.FORMATS)), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_options(*FILTER_OPTIONS)
def export_command(format_name, out, zone, **params):
    """Export the reports the filters select, for Excel or QGIS."""
    params["zone"] = zone
    try:
        report_filter = parse_filter(read_zone(params), known_agencies=known_agencies())
    except FilterError as error:
        raise bad_parameter(error) from None
    session = open_session()
    reports = select_reports(session, report_filter)
    with out.open("wb") as handle:
        exporter.export_reports(
            reports,
            format_name,
            handle,
            marking=current_app.config["MARKING"],
            fictitious_marking=current_app.config["FICTITIOUS_MARKING"],
        )
    audit(session, "export", format=format_name, count=len(reports), out=str(out), **report_filter.to_params())
    session.commit()
    click.echo(f"{len(reports)} signalement(s) exporté(s) vers {out} ({format_name}).")


@click.command("profiles")
@with_appcontext
@click.option("--delete", "delete_name", metavar="NAME", help="Supprimer ce profil.")
def profiles_command(delete_name):
    """List the saved column-mapping profiles (one per agency export format)."""
    session = open_session()
    if delete_name:
        if not importer.delete_profile(session, delete_name):
            raise click.ClickException(f"Profil inconnu : « {delete_name} ».")
        session.commit()
        click.echo(f"Profil « {delete_name} » supprimé.")
        return
    profiles = importer.list_profiles(session)
    if not profiles:
        click.echo("Aucun profil d'import. Enregistrez-en un avec « crossmap import FICHIER --save-profile NOM ».")
    for profile in profiles:
        click.echo(f"{profile['name']} (service : {profile['agency'] or '-'})")
        for header, field_name in profile["mapping"].items():
            click.echo(f"  {header} → {importer.field_label(field_name)}")
