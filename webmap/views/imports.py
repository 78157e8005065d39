"""Pages to bring reports in and out: upload with preview, import batches
(with rollback), error files and exports. Thin views: each parses the
request, calls ``webmap.services.importer`` / ``webmap.services.exporter`` / ``webmap.services.filters``
and renders the outcome."""

import io
import json
import re
import secrets
import shutil
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from webmap.api.warm import warm_if_large
from webmap.db import get_session
from webmap.db.models import now
from webmap.security.actor import current_actor
from webmap.services import importer
from webmap.services.audit import audit
from webmap.services.importer.worker import TABLE_FILE, load_table, purge_uploads, read_upload

bp = Blueprint("imports", __name__, url_prefix="/signalements")

FIELD_LABELS = {
    "agency_ref": _l("Agency reference"),
    "agency": _l("Agency"),
    "observed_at": _l("Date"),
    "time": _l("Time"),
    "category": _l("Category"),
    "substances": _l("Substances"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "grading": _l("Grading"),
    "reliability": _l("Source reliability"),
    "credibility": _l("Information credibility"),
    "commune": _l("Commune"),
    "insee": _l("INSEE code"),
    "postal_code": _l("Postal code"),
    "address": _l("Address"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "coordinates": _l("Coordinates (one column)"),
    "x": _l("X (Lambert-93)"),
    "y": _l("Y (Lambert-93)"),
    "summary": _l("Summary"),
    "handling": _l("Handling"),
}

#: Field names of the decisions (the place is read from several columns).
DECISION_FIELD_LABELS = {**FIELD_LABELS, "place": _l("Place")}

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _uploads() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(exist_ok=True)
    return folder


def own_agency():
    """The only agency the signed-in user may import for and whose batches
    they see; ``None`` for an admin, who acts for every agency (audited)."""
    actor = current_actor()
    return None if actor.role == "admin" else actor.agency


def _upload(token):
    """The stored upload of ``token``: (path, original file name). Only its
    uploader (or an admin) may use it."""
    if not _TOKEN.match(token):
        abort(404)
    folder = _uploads() / token
    meta = folder / "meta.json"
    if not meta.is_file():
        abort(404)
    info = json.loads(meta.read_text(encoding="utf-8"))
    if own_agency() is not None and info.get("uploaded_by") != current_actor().name:
        abort(404)
    return folder / info["stored"], info["filename"]


def _options(source) -> importer.ImportOptions:
    """Import options from the preview form or query string."""
    mapping = None
    headers = source.getlist("header")
    if headers:
        fields = source.getlist("field")
        mapping = {header: field_name for header, field_name in zip(headers, fields) if field_name}
    config = current_app.config
    only = own_agency()
    return importer.ImportOptions(
        # A user imports for their own agency only; an admin for any.
        agency=only or source.get("agency") or None,
        only_agency=only,
        profile=source.get("profile") or None,
        mapping=mapping,
        skip_invalid=bool(source.get("skip_invalid")),
        allow_before_2000=bool(source.get("allow_before_2000")),
        allow_outside=bool(source.get("allow_outside")),
        max_rows=config["IMPORT_MAX_ROWS"],
        max_bytes=config["IMPORT_MAX_BYTES"],
        created_by=current_actor().name,
    )


def _options_params(options, mapping):
    """Query parameters that give ``_options`` back these options."""
    params = {"header": list(mapping), "field": list(mapping.values())}
    for name in ("agency", "profile"):
        if getattr(options, name):
            params[name] = getattr(options, name)
    for name in ("skip_invalid", "allow_before_2000", "allow_outside"):
        if getattr(options, name):
            params[name] = "1"
    return params


def _known_agencies():
    return current_app.config["AGENCIES"]


def _selectable_agencies():
    """The agencies the upload form offers: the user's own (admins: all)."""
    only = own_agency()
    return [a for a in _known_agencies() if only is None or a["code"] == only]


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(error):
    limit = current_app.config["IMPORT_MAX_BYTES"] / 1e6
    return render_template(
        "imports/error.html", message=_("File too large: the maximum is %(limit)s MB.", limit=f"{limit:.0f}")
    ), 413


@bp.get("/import")
def upload_form():
    return render_template(
        "imports/upload.html", agencies=_selectable_agencies(), profiles=importer.list_profiles(get_session())
    )


@bp.post("/import")
def upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a file to import."))
        return redirect(url_for(".upload_form"))
    # Uploads never confirmed would pile up (the review found 81 MB).
    purge_uploads(_uploads(), current_app.config["UPLOAD_RETENTION_HOURS"] * 3600)
    token = secrets.token_urlsafe(24)
    folder = _uploads() / token
    folder.mkdir()
    stored = secure_filename(file.filename) or "fichier"
    file.save(folder / stored)
    config = current_app.config
    try:
        # Read once, in a bounded worker; the preview and the confirmation
        # use what it kept.
        read_upload(
            folder / stored,
            filename=file.filename,
            max_bytes=config["IMPORT_MAX_BYTES"],
            max_rows=config["IMPORT_MAX_ROWS"],
            cpu_seconds=config["IMPORT_CPU_SECONDS"],
        )
    except importer.ImportFileError as error:
        shutil.rmtree(folder, ignore_errors=True)
        return render_template("imports/error.html", message=str(error)), 400
    (folder / "meta.json").write_text(
        json.dumps(
            {
                "filename": file.filename,
                "stored": stored,
                "uploaded_by": current_actor().name,
                "uploaded_at": now().isoformat(),
            }
        )
    )
    params = {key: request.form[key] for key in ("agency", "profile", "allow_outside") if request.form.get(key)}
    return redirect(url_for(".preview", token=token, **params))


@bp.get("/import/<token>")
def preview(token):
    path, filename = _upload(token)
    return preview_page(token, filename, path, _options(request.args), _shown(request.args))


def _table(path):
    """The table read at upload (see ``upload``)."""
    kept = path.parent / TABLE_FILE
    if not kept.is_file():
        abort(404)
    return load_table(kept)


def _shown(source) -> str:
    """Which rows the preview lists: all, approximations or rejections."""
    shown = source.get("show", "all")
    return shown if shown in importer.PREVIEW_FILTERS else "all"


def preview_page(token, filename, path, options, show="all"):
    try:
        result = importer.preview_file(
            path,
            filename=filename,
            options=options,
            session=get_session(),
            geocoder=importer.geocoder_from_config(current_app.config),
            known_agencies=_known_agencies(),
            show=show,
            vocabularies=importer.vocabularies_from_config(current_app.config),
            table=_table(path),
        )
    except importer.ImportFileError as error:
        return render_template("imports/error.html", message=str(error)), 400
    return render_template(
        "imports/preview.html",
        token=token,
        filename=filename,
        preview=result,
        options=options,
        options_params=_options_params(options, result.mapping),
        agencies=_selectable_agencies(),
        field_labels=FIELD_LABELS,
        profiles=importer.list_profiles(get_session()),
    )


@bp.post("/import/<token>/verifier")
def recheck(token):
    """The preview again, with the analyst's column choices (a POST, so the
    CSRF token does not end up in a URL)."""
    path, filename = _upload(token)
    return preview_page(token, filename, path, _options(request.form), _shown(request.form))


@bp.post("/import/<token>")
def confirm(token):
    path, filename = _upload(token)
    options = _options(request.form)
    session = get_session()
    profile_name = request.form.get("save_profile", "").strip()
    try:
        result = importer.import_and_commit(
            session,
            path,
            filename=filename,
            options=options,
            geocoder=importer.geocoder_from_config(current_app.config),
            known_agencies=_known_agencies(),
            vocabularies=importer.vocabularies_from_config(current_app.config),
            save_profile_as=profile_name if options.mapping else None,
            table=_table(path),
        )
    except importer.ImportFileError as error:
        return render_template("imports/error.html", message=str(error)), 400
    if not result.written:
        flash(_("Import cancelled: %(num)s rows rejected, nothing was saved.", num=result.rejected))
        return preview_page(token, filename, path, _options(request.form))
    audit(
        session,
        "import",
        batch=result.batch_id,
        filename=filename,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
        agencies=sorted(
            importer.batch_agencies(session, [session.get(importer.ImportBatch, result.batch_id)])[result.batch_id]
        ),
    )
    session.commit()
    # The batch keeps the file's name and hash; the upload itself can go.
    shutil.rmtree(path.parent, ignore_errors=True)
    warm_if_large(current_app._get_current_object(), background=True)
    flash(
        _(
            "Batch %(id)s: %(added)s added, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected.",
            id=result.batch_id,
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
        )
    )
    return redirect(url_for(".batches"))


@bp.get("/import/<token>/rejets.csv")
def preview_rejections(token):
    path, filename = _upload(token)
    result = importer.preview_file(
        path,
        filename=filename,
        options=_options(request.args),
        session=get_session(),
        geocoder=importer.geocoder_from_config(current_app.config),
        known_agencies=_known_agencies(),
        vocabularies=importer.vocabularies_from_config(current_app.config),
        table=_table(path),
    )
    return _csv_download(importer.rejections_csv(result.rejections), f"{Path(filename).stem}-rejets.csv")


@bp.get("/lots")
def batches():
    return render_template("imports/batches.html", batches=importer.list_batches(get_session(), agency=own_agency()))


@bp.post("/lots/<int:batch_id>/annuler")
def rollback(batch_id):
    session = get_session()
    try:
        outcome = importer.rollback_batch(session, batch_id, current_actor().name, agency=own_agency())
        audit(session, "rollback", batch=batch_id, **outcome)
        session.commit()
    except importer.BatchError as error:
        session.rollback()
        flash(str(error))
        return redirect(url_for(".batches"))
    flash(
        _(
            "Batch %(id)s rolled back: %(removed)s reports removed, %(restored)s restored.",
            id=batch_id,
            removed=outcome["removed"],
            restored=outcome["restored"],
        )
    )
    return redirect(url_for(".batches"))


@bp.get("/lots/<int:batch_id>/decisions")
def batch_decisions(batch_id):
    session = get_session()
    batch = importer.get_batch(session, batch_id)
    # Another agency's batch is unknown (agencies own their data).
    if batch is None or not importer.owns_batch(session, batch, own_agency()):
        abort(404)
    decisions = importer.batch_decisions(session, batch_id)
    return render_template(
        "imports/decisions.html",
        batch=batch,
        decisions=decisions,
        how_label=importer.how_label,
        field_labels=DECISION_FIELD_LABELS,
    )


@bp.get("/lots/<int:batch_id>/rejets.csv")
def batch_rejections(batch_id):
    rejections = importer.batch_rejections(get_session(), batch_id, agency=own_agency())
    if rejections is None:
        abort(404)
    return _csv_download(importer.rejections_csv(rejections), f"lot-{batch_id}-rejets.csv")


def _csv_download(data, name):
    return send_file(io.BytesIO(data), mimetype="text/csv; charset=utf-8", as_attachment=True, download_name=name)
