"""Saved column-mapping profiles, one per agency export format."""

from __future__ import annotations

import json

from sqlalchemy import delete, select

from webmap.db.models import (
    ImportProfile,
    now,
)
from webmap.services.importer.base import ImportFileError
from webmap.services.importer.columns import (
    FIELDS,
)


def save_profile(session, name: str, mapping: dict[str, str], agency: str | None = None, user: str | None = None):
    """Save (or replace) a named column mapping. The caller commits."""
    name = name.strip()
    if not name:
        raise ImportFileError("Nom de profil vide.")
    unknown = sorted({f for f in mapping.values() if f and f not in FIELDS})
    if unknown:
        raise ImportFileError("Champs inconnus dans le profil : " + ", ".join(unknown) + ".")
    profile = session.scalar(select(ImportProfile).where(ImportProfile.name == name))
    if profile is None:
        profile = ImportProfile(name=name)
        session.add(profile)
    profile.mapping = json.dumps(mapping, ensure_ascii=False)
    profile.agency = agency
    profile.created_by = user
    profile.created_at = now()
    session.flush()
    return profile


def get_profile(session, name: str) -> dict:
    profile = session.scalar(select(ImportProfile).where(ImportProfile.name == name))
    if profile is None:
        known = ", ".join(session.scalars(select(ImportProfile.name).order_by(ImportProfile.name))) or "aucun"
        raise ImportFileError(f"Profil d'import inconnu : « {name} » (profils enregistrés : {known}).")
    return {"name": profile.name, "agency": profile.agency, "mapping": json.loads(profile.mapping)}


def list_profiles(session) -> list[dict]:
    return [
        {"name": p.name, "agency": p.agency, "mapping": json.loads(p.mapping), "created_at": p.created_at}
        for p in session.scalars(select(ImportProfile).order_by(ImportProfile.name))
    ]


def delete_profile(session, name: str) -> bool:
    return session.execute(delete(ImportProfile).where(ImportProfile.name == name)).rowcount > 0
