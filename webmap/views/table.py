"""The table of reports (*tableau des signalements*) at ``/signalements``:
the page only; its rows come from ``/api/reports/table``, paged on the
server, and its export from ``/signalements/export/fichier`` with the same
parameters."""

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

from webmap import labels
from webmap.security.access import can
from webmap.services.hotspots import communes_l93

bp = Blueprint("table", __name__)


@bp.get("/signalements")
def index():
    return render_template("table/index.html", page_config=_page_config())


def _page_config():
    communes = communes_l93()
    return {
        "agencies": [{"code": a["code"], "name": a["name"]} for a in current_app.config["AGENCIES"]],
        "categories": {code: str(label) for code, label in labels.CATEGORY_LABELS.items()},
        "substances": {code: str(label) for code, label in labels.SUBSTANCE_LABELS.items()},
        "precisions": {code: str(label) for code, label in labels.PRECISION_LABELS.items()},
        "communes": dict(zip(communes["insee"], communes["name"])),
        "can_export": can("export"),
        "text": {
            "date": _("Date"),
            "agency": _("Agency"),
            "reference": _("Reference"),
            "category": _("Category"),
            "substances": _("Substances"),
            "grading": _("Grading"),
            "commune": _("Commune"),
            "place": _("Place as given"),
            "precision": _("Precision"),
            "page": _("Page %(page)s of %(pages)s"),
            "count": _("%(count)s reports"),
            "one": _("1 report"),
            "none": _("No report matches these filters."),
            "previous": _("Previous"),
            "next": _("Next"),
            "loading": _("Loading…"),
            "sort_up": _("sorted ascending"),
            "sort_down": _("sorted descending"),
            "remove": _("Remove this selection"),
            "hotspot": _("Hotspot"),
            "zone": _("Zone"),
            "contains": _("contains…"),
            "error": _("Error"),
            "show_on_map": _("Show on the map"),
        },
    }
