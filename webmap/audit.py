"""The audit trail: who did what, when, from where. Append-only: entries are
only ever inserted (database triggers refuse UPDATE and DELETE); the admin
page lists, filters and exports them, and nothing edits them.

Anywhere in the code: ``audit(session, "export", format="csv", **filters)``;
inside a request, who and where come from the signed-in user and the
request's address. The caller commits, with the change it records.
"""

import csv
import io
import json
from datetime import date, datetime, time, timedelta

import click
from flask import Blueprint, Response, has_request_context, render_template, request
from flask.cli import with_appcontext
from sqlalchemy import delete, select

from webmap.db import get_session
from webmap.models import PARIS, AuditEntry, Report, ReportHistory, now

bp = Blueprint("audit", __name__, url_prefix="/admin")

#: What the trail records, with the French words the admin page shows.
ACTIONS = {
    "login": "Connexion",
    "login_failed": "Échec de connexion",
    "login_blocked": "Connexion bloquée (trop d'échecs)",
    "logout": "Déconnexion",
    "import": "Import",
    "rollback": "Annulation de lot",
    "export": "Export",
    "snapshot": "Instantané de carte",
    "zone_change": "Zone d'opération",
    "user_created": "Utilisateur créé",
    "user_disabled": "Utilisateur désactivé",
    "role_changed": "Rôle changé",
    "password_reset": "Mot de passe changé",
    "report_viewed": "Consultation d'un signalement",
    "purge": "Purge des anciens signalements",
}
PAGE_SIZE = 500
_FROM_REQUEST = object()


def audit(session, action, *, username=_FROM_REQUEST, agency=_FROM_REQUEST, address=_FROM_REQUEST, **details):
    """Add one entry to ``session`` (the caller commits).

    ``details`` (filters, ids, counts...) must be JSON-serialisable; dates
    and other objects are written as text.
    """
    user = _request_user()
    if username is _FROM_REQUEST:
        username = user.username if user is not None else None
    if agency is _FROM_REQUEST:
        agency = user.agency if user is not None else None
    if address is _FROM_REQUEST:
        address = request.remote_addr if has_request_context() else "cli"
    entry = AuditEntry(action=action, username=username, agency=agency, address=address,
                       details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True))
    session.add(entry)
    return entry


def _request_user():
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user if current_user.is_authenticated else None


def search(session, *, action=None, username=None, start=None, end=None, text=None, limit=PAGE_SIZE):
    """Entries newest first, filtered by action, user name, days (Paris
    time, inclusive) and a text found in the details."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        statement = statement.where(AuditEntry.action == action)
    if username:
        statement = statement.where(AuditEntry.username == username)
    if start:
        statement = statement.where(AuditEntry.at >= datetime.combine(start, time(), tzinfo=PARIS))
    if end:
        statement = statement.where(AuditEntry.at < datetime.combine(end + timedelta(days=1), time(), tzinfo=PARIS))
    if text:
        statement = statement.where(AuditEntry.details.contains(text))
    if limit:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def entries_csv(entries) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["n°", "date", "utilisateur", "service", "adresse", "action", "détails"])
    for e in entries:
        writer.writerow([e.id, e.at.strftime("%d/%m/%Y %H:%M:%S"), _neutral(e.username), e.agency or "",
                         e.address or "", e.action, _neutral(e.details)])
    # The BOM lets a spreadsheet open the accents right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _neutral(value):
    # A user name or a filter typed by someone must not run as a formula.
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _filters(args):
    def day(name):
        try:
            value = date.fromisoformat(args.get(name, "").strip())
        except ValueError:
            return None  # empty or unreadable: no limit
        return value if 1900 <= value.year <= 2999 else None

    action = args.get("action", "").strip()
    return {
        "action": action if action in ACTIONS else None,
        "username": args.get("username", "").strip() or None,
        "start": day("start"),
        "end": day("end"),
        "text": args.get("text", "").strip() or None,
    }


@bp.get("/journal")
def index():
    filters = _filters(request.args)
    entries = search(get_session(), **filters)
    return render_template("admin/audit.html", entries=entries, actions=ACTIONS, args=request.args,
                           page_size=PAGE_SIZE)


@bp.get("/journal.csv")
def export_csv():
    filters = _filters(request.args)
    session = get_session()
    entries = search(session, **filters, limit=None)
    body = entries_csv(entries)
    # Reading the trail is itself worth a line in it.
    audit(session, "export", what="audit_trail", **{k: v for k, v in filters.items() if v})
    session.commit()
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename=journal-audit-{now():%Y%m%d-%H%M}.csv"
    return response


# -- retention --------------------------------------------------------------


def purge_reports(session, *, older_than_years, today=None):
    """Delete reports observed more than ``older_than_years`` years ago (and
    their previous versions), audit the purge; the caller commits. Returns
    how many reports went."""
    if older_than_years < 1:
        raise ValueError("la durée de conservation doit être d'au moins un an")
    today = today or now().date()
    try:
        cutoff_day = today.replace(year=today.year - older_than_years)
    except ValueError:  # 29 February
        cutoff_day = today.replace(year=today.year - older_than_years, day=28)
    cutoff = datetime.combine(cutoff_day, time(), tzinfo=PARIS)
    old = select(Report.id).where(Report.observed_at < cutoff)
    session.execute(delete(ReportHistory).where(ReportHistory.report_id.in_(old)))
    removed = session.execute(delete(Report).where(Report.observed_at < cutoff)).rowcount
    audit(session, "purge", older_than_years=older_than_years, before=cutoff_day.isoformat(), removed=removed)
    return removed


@click.command("purge-reports")
@with_appcontext
@click.option("--older-than-years", type=int, default=None,
              help="Durée de conservation en années (défaut : REPORT_RETENTION_YEARS).")
def purge_command(older_than_years):
    """Delete reports older than the retention period (audited)."""
    from flask import current_app

    years = older_than_years or current_app.config["REPORT_RETENTION_YEARS"]
    if not years:
        raise click.ClickException("aucune durée de conservation : donnez --older-than-years "
                                   "ou REPORT_RETENTION_YEARS")
    session = get_session()
    try:
        removed = purge_reports(session, older_than_years=years)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(f"{removed} signalement(s) de plus de {years} an(s) supprimé(s).")


#: Endpoints recorded after a successful response, so that their views need
#: no audit code: endpoint -> action.
AUDITED_ENDPOINTS = {
    "zones.create": "zone_change",
    "zones.update": "zone_change",
    "zones.delete": "zone_change",
    # A hotspot's card lists its reports in detail.
    "api.hotspot": "report_viewed",
}


def record_audited_endpoint(response):
    action = AUDITED_ENDPOINTS.get(request.endpoint)
    if action is None or response.status_code >= 400:
        return response
    details = {"endpoint": request.endpoint, "method": request.method, **(request.view_args or {})}
    details.update({key: ",".join(request.args.getlist(key)) for key in request.args})
    if request.endpoint == "zones.create" and response.is_json:
        details["zone_id"] = (response.get_json(silent=True) or {}).get("id")
    session = get_session()
    audit(session, action, **details)
    session.commit()
    return response


def init_app(app):
    app.register_blueprint(bp)
    app.after_request(record_audited_endpoint)
    app.cli.add_command(purge_command)

