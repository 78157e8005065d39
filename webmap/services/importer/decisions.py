"""What the import decided for each row, so that an analyst sees it before
anything is written and finds it again in the batch's history.

A :class:`Decision` says, for one field of one row, what the file gave, how
it was read and what is stored: ``"Capavenir Vosges"`` → renamed commune →
``Thaon-les-Vosges (88465)``; ``"48,1725 ; 6,4497"`` → point, latitude
first → ``6.44970, 48.17250``; ``"Cannabis résine"`` → recognised →
``cannabis_resin``. A decision is *approximate* when the import interpreted
rather than read (a wording matched approximately, coordinate columns in the
wrong order, a street address placed at its commune's centre, a place outside
the département accepted on request): the preview can show only those.

Flask-free. Plain points read from their own columns in the stated order, and
values spelt exactly like a known phrase, make no decision: they are the
overwhelming majority and need no second look.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.coordinates import READING_LABELS

__all__ = ["Decision", "HOW_LABELS", "how_label", "place_decision", "value_decision", "group_decisions"]

#: French wording of each way a value was read.
HOW_LABELS = {
    "point": "point (coordonnées)",
    "latlon": "point, " + READING_LABELS["latlon"],
    "lonlat": "point, " + READING_LABELS["lonlat"],
    "dms": "point, " + READING_LABELS["dms"],
    "xy": "point, " + READING_LABELS["xy"],
    "yx": "point, " + READING_LABELS["yx"],
    "swapped": "ordre des colonnes inversé",
    "address": "adresse localisée",
    "address_centre": "adresse placée au centre de la commune",
    "insee": "code INSEE, centre de la commune",
    "postal_code": "code postal, centre de la commune",
    "name": "nom de commune, centre de la commune",
    "renamed": "commune renommée depuis",
    "absorbed": "ancienne commune, rattachée depuis",
    "outside": "hors du département (accepté)",
    "spelling": "valeur reconnue (autre écriture)",
    "partial": "valeur approchée (mots en plus)",
    "typo": "valeur approchée (faute de frappe)",
    "pinned": "service du fichier retenu",
}

#: Readings that interpret rather than read.
APPROXIMATE = frozenset({"swapped", "address_centre", "outside", "partial", "typo", "pinned"})


@dataclass(frozen=True)
class Decision:
    """How one field of one row was read.

    ``how`` holds keys of :data:`HOW_LABELS`, most important first.
    """

    line: int
    field: str
    given: str
    how: tuple[str, ...]
    stored: str
    note: str = ""

    @property
    def approximate(self) -> bool:
        return any(tag in APPROXIMATE for tag in self.how)

    def how_label(self) -> str:
        return how_label(self.how)


def how_label(how) -> str:
    """French wording of ``how`` (keys, or keys joined by commas as stored).

    >>> how_label("latlon,outside")
    'point, latitude, longitude (degrés décimaux) · hors du département (accepté)'
    """
    tags = how.split(",") if isinstance(how, str) else how
    return " · ".join(HOW_LABELS.get(tag, tag) for tag in tags)


def place_decision(line: int, given: str, place) -> Decision:
    """The decision a geocoded place (:class:`geo.geocoder.Place`) stands
    for.

    Parameters
    ----------
    line : int
    given : str
        The place as the file wrote it.
    place : geo.geocoder.Place
    """
    how = []
    if place.precision == "point" and place.understood_as != "address":
        how.append(place.reading or "point")
        if any("inversées" in warning for warning in place.warnings):
            how.append("swapped")
    elif place.precision == "address":
        how.append("address")
    elif place.understood_as == "address":
        how.append("address_centre")
    else:
        how.append(place.understood_as if place.understood_as in HOW_LABELS else "name")
    if place.former_kind:
        how.append(place.former_kind)
    if place.outside:
        how.append("outside")
    if place.precision == "commune":
        stored = f"{place.commune} ({place.insee}), centre"
    else:
        stored = f"{place.commune} ({place.insee}), {place.lat:.5f} ; {place.lon:.5f}"
    return Decision(line, "place", given, tuple(how), stored, " ".join(place.warnings))


def value_decision(line: int, field: str, given: str, match, stored: str) -> Decision:
    """The decision of a coded value read through a vocabulary
    (:class:`analysis.vocabulary.Match`)."""
    how = "spelling" if match.exact else match.how
    note = f"« {given} » lu comme « {match.phrase} »."
    return Decision(line, field, given, (how,), stored, note)


def group_decisions(decisions, max_lines: int = 200) -> list[dict]:
    """Identical decisions of many rows folded into one, with their count and
    (up to ``max_lines`` of) their lines: what a batch's history keeps.

    Places read the same way into the same stored value fold together
    whatever their wording (thousands of street addresses placed at the
    centre of one commune are one decision, with its first wording as the
    example); values keep one decision per wording.

    Examples
    --------
    >>> rows = [Decision(2, "place", "Epinal", ("name",), "Épinal (88160), centre"),
    ...         Decision(5, "place", "Epinal", ("name",), "Épinal (88160), centre")]
    >>> [(g["given"], g["count"], g["lines"]) for g in group_decisions(rows)]
    [('Epinal', 2, '2, 5')]
    """
    groups: dict[tuple, dict] = {}
    for decision in decisions:
        given = None if decision.field == "place" else decision.given
        key = (decision.field, given, decision.how, decision.stored)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "field": decision.field,
                "given": decision.given,
                "how": ",".join(decision.how),
                "stored": decision.stored,
                "note": decision.note,
                "approximate": decision.approximate,
                "count": 0,
                "first_line": decision.line,
                "_lines": [],
            }
        group["count"] += 1
        if len(group["_lines"]) < max_lines:
            group["_lines"].append(decision.line)
    result = []
    for group in groups.values():
        lines = group.pop("_lines")
        group["lines"] = ", ".join(map(str, lines)) + (" …" if group["count"] > len(lines) else "")
        result.append(group)
    return sorted(result, key=lambda g: (g["first_line"], g["field"]))
