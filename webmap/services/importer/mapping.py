"""Which file column holds which report field: guessed from the headers, given by the user, or from a saved profile."""

from __future__ import annotations

from webmap.services.importer.base import (
    PLACE_FIELDS,
    REQUIRED,
    ImportFileError,
    Table,
    field_label,
)
from webmap.services.importer.columns import (
    guess_mapping,
)


def resolve_mapping(table: Table, mapping: dict[str, str] | None, agency: str | None) -> dict[str, str]:
    """``{header: field}`` for ``table``: the given mapping (a saved
    profile, or the upload page's choices) or the recognised headers.

    Raises
    ------
    ImportFileError
        When a field every row needs has no column.
    """
    if mapping is None:
        mapping = guess_mapping(table.headers)
    else:
        unknown = [header for header in mapping if header not in table.headers]
        if unknown:
            raise ImportFileError(
                "Colonnes du profil absentes du fichier : " + ", ".join(f"« {h} »" for h in unknown) + "."
            )
        mapping = {header: field_name for header, field_name in mapping.items() if field_name}
    fields = set(mapping.values())
    missing = [field_label(name) for name in REQUIRED if name not in fields]
    if "grading" not in fields and not {"reliability", "credibility"} <= fields:
        missing.append(field_label("grading"))
    if "agency" not in fields and not agency:
        missing.append(field_label("agency") + " (colonne ou option --agency)")
    if not fields & set(PLACE_FIELDS):
        missing.append("Lieu (coordonnées, adresse, commune, code INSEE ou code postal)")
    if missing:
        raise ImportFileError(
            "Colonnes manquantes : "
            + ", ".join(missing)
            + ". Colonnes du fichier : "
            + ", ".join(f"« {h} »" for h in table.headers if h)
            + "."
        )
    return mapping
