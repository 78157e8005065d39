"""The audit trail: who did what, when, from where. Append-only: entries are
only ever inserted (database triggers refuse UPDATE and DELETE); the admin
page (:mod:`webmap.views.admin`) lists, filters and exports them, and
nothing edits them.

Anywhere in the code: ``audit(session, "export", format="csv", **filters)``;
inside a request, who and where come from the signed-in user and the
request's address. The caller commits, with the change it records.
"""

import csv
import io
import json
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select

from webmap.db.models import PARIS, AuditEntry, Report, ReportHistory, now
from webmap.security.actor import current_actor
from webmap.services.formulas import neutralize

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
    "basemap_added": "Fond de carte ajouté",
    "basemap_removed": "Fond de carte retiré",
    "basemap_default": "Fond de carte par défaut",
}
PAGE_SIZE = 500
_FROM_REQUEST = object()


def audit(session, action, *, username=_FROM_REQUEST, agency=_FROM_REQUEST, address=_FROM_REQUEST, **details):
    """Add one entry to ``session`` (the caller commits).

    ``details`` (filters, ids, counts...) must be JSON-serialisable; dates
    and other objects are written as text.
    """
    actor = current_actor()
    if username is _FROM_REQUEST:
        username = actor.username
    if agency is _FROM_REQUEST:
        agency = actor.agency
    if address is _FROM_REQUEST:
        address = actor.address
    entry = AuditEntry(
        action=action,
        username=username,
        agency=agency,
        address=address,
        details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
    )
    session.add(entry)
    return entry


def recorded_since(session, action, *, username, address, seconds):
    """Whether an entry ``action`` for this user name (or none) and address
    was written in the last ``seconds``: the database is what every server
    process sees, so the check holds whichever process answers."""
    statement = select(AuditEntry.id).where(
        AuditEntry.action == action,
        AuditEntry.address == address,
        AuditEntry.username.is_(None) if username is None else AuditEntry.username == username,
        AuditEntry.at >= now() - timedelta(seconds=seconds),
    )
    return session.scalar(statement.limit(1)) is not None


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
        writer.writerow(
            [
                e.id,
                e.at.strftime("%d/%m/%Y %H:%M:%S"),
                neutralize(e.username or ""),
                e.agency or "",
                e.address or "",
                e.action,
                neutralize(e.details or ""),
            ]
        )
    # The BOM lets a spreadsheet open the accents right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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
