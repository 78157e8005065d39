"""The map page."""

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _

from geo.reference import load_communes
from webmap import labels
from webmap.db import get_session
from webmap.folium_map import build_map
from webmap.store import reports_frame

bp = Blueprint("map", __name__)


@bp.get("/")
def index():
    reports = reports_frame(get_session())
    fmap = build_map(
        communes=load_communes(),
        reports=reports,
        agencies=current_app.config["AGENCIES"],
        labels=_map_labels(),
        asset_url=lambda path: url_for("static", filename=path),
    )
    root = fmap.get_root()
    root.render()
    return render_template(
        "map/index.html",
        map_header=root.header.render(),
        map_html=root.html.render(),
        map_script=root.script.render(),
        report_count=len(reports),
        fictitious=bool(reports["fictitious"].any()) if len(reports) else False,
    )


def _map_labels():
    return {
        "attribution": "IGN – ADMIN EXPRESS COG 2018 ; INSEE COG 2026",
        "communes": _("Communes"),
        "commune": _("Commune"),
        "population": _("Population"),
        "agency": _("Agency"),
        "observed_at": _("Date"),
        "category": _("Category"),
        "grading": _("Grading"),
        "place": _("Place as given"),
        "precision": _("Precision"),
        "category_labels": labels.CATEGORY_LABELS,
        "precision_labels": labels.PRECISION_LABELS,
    }
