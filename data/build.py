"""Build crossmap's reference data from the raw files of ``shared/data``.

Run from the repository root::

    .venv/bin/python data/build.py [--shared ../shared/data] [--out data]

The raw folder (provenance in its README) holds IGN ADMIN EXPRESS COG 2018
boundaries, the INSEE COG 2026 list of communes (npm package
@etalab/decoupage-administratif 6.0.0) and SSMSI drug-offence figures. The
boundaries follow the 2018 geography while the app speaks the 2026 one, so
every 2018 polygon is mapped to the 2026 commune it now belongs to and
dissolved into it (in Vosges, 88393 Rollainville into 88321 Neufchâteau).

The output is deterministic: features sorted by INSEE code, coordinates
snapped to a 1e-5 degree grid (about 1 m, the precision of the source) and
JSON written by hand, one feature per line, so that rerunning the script
gives byte-identical files and a data change shows as a readable diff.
The app reads only the built files, never the raw folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

REPO_ROOT = Path(__file__).resolve().parents[1]
# The script runs from a bare clone too, without `pip install -e .`.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from geo.crs import to_lambert93  # noqa: E402
from geo.names import ARTICLES, name_key  # noqa: E402

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "data"

VOSGES = "88"
NEIGHBOURS = ("52", "54", "55", "67", "68", "70", "90")
DEPARTEMENTS = (VOSGES,) + NEIGHBOURS
RAW_COMMUNE_FILES = {
    "52": "communes-52-haute-marne.geojson",
    "54": "communes-54-meurthe-et-moselle.geojson",
    "55": "communes-55-meuse.geojson",
    "67": "communes-67-bas-rhin.geojson",
    "68": "communes-68-haut-rhin.geojson",
    "70": "communes-70-haute-saone.geojson",
    "88": "communes-88-vosges.geojson",
    "90": "communes-90-territoire-de-belfort.geojson",
}
#: Output grid in degrees; the source was already rounded to it.
DECIMALS = 5
GRID = 10.0**-DECIMALS
#: Below this share of its area in its main canton a commune is reported as
#: straddling cantons. Épinal and Saint-Dié-des-Vosges are split by law; the
#: canton map is far more simplified than the communes' (1e-4 degree, few
#: vertices), so a small commune can lose a quarter of its area to a
#: neighbouring canton through simplification alone.
SPLIT_CANTON_SHARE = 0.75

COMMUNE_ACTUELLE = "commune-actuelle"
ANCIEN_CODE = "ancien-code"

SSMSI_COLUMNS = {
    "codeDepartement": "departement",
    "annee": "year",
    "indicateur": "indicator",
    "uniteDeCompte": "unit",
    "nombre": "count",
    "tauxPourMille": "rate_per_1000",
    "inseePop": "population",
}


class BuildError(RuntimeError):
    """The raw data do not fit together the way the build assumes."""


def warn(message: str) -> None:
    print(f"WARNING: {message}")


def info(message: str) -> None:
    print(message)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def read_json(path: Path):
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def read_features(path: Path) -> list[dict]:
    data = read_json(path)
    return [data] if data["type"] == "Feature" else data["features"]


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------


def polygonal_part(geom):
    """Keep only the (Multi)Polygon parts of ``geom``.

    make_valid and set_precision may return lines or points where a ring
    collapses; those carry no area and would break GeoJSON consumers that
    expect polygons.
    """
    parts = [part for part in shapely.get_parts(geom) if part.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def clean_polygon(geom, label: str):
    """Return a valid, non-empty polygonal geometry snapped to the grid."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    geom = polygonal_part(geom)
    # set_precision's default mode guarantees a valid result on the grid, so
    # rounding the coordinates when writing cannot create self-intersections.
    geom = polygonal_part(shapely.set_precision(geom, GRID))
    # RFC 7946: exterior rings counter-clockwise, holes clockwise.
    geom = shapely.orient_polygons(geom)
    if geom.is_empty:
        raise BuildError(f"{label}: geometry is empty after cleaning")
    if not geom.is_valid:
        raise BuildError(f"{label}: geometry is still invalid after cleaning")
    return geom


def to_lambert93_geometry(geom):
    def project(coords: np.ndarray) -> np.ndarray:
        x, y = to_lambert93(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, project)


def rounded(coords):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], float):
        # `+ 0.0` turns -0.0 into 0.0 so that both print the same.
        return [round(value, DECIMALS) + 0.0 for value in coords]
    return [rounded(part) for part in coords]


def geojson_geometry(geom) -> dict:
    data = mapping(geom)
    return {"type": data["type"], "coordinates": rounded(data["coordinates"])}


def feature(properties: dict, geom) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geojson_geometry(geom)}


# --------------------------------------------------------------------------
# Writing (deterministic)
# --------------------------------------------------------------------------


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_geojson(path: Path, features: list[dict]) -> None:
    lines = ['{"type":"FeatureCollection","features":[']
    lines += [dumps(item) + "," for item in features[:-1]]
    lines += [dumps(item) for item in features[-1:]]
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --------------------------------------------------------------------------
# COG 2026
# --------------------------------------------------------------------------


class Cog:
    """The 2026 list of communes and how older codes map onto it."""

    def __init__(self, entries: list[dict]):
        self.actuelles = {entry["code"]: entry for entry in entries if entry["type"] == COMMUNE_ACTUELLE}
        # A commune nouvelle often keeps the code of one of its communes
        # déléguées (88029 is both La Vôge-les-Bains and its déléguée
        # Bains-les-Bains), hence a list of (code, name, type, successor).
        self.former = sorted(
            (entry["code"], entry["nom"], entry["type"], entry["chefLieu"])
            for entry in entries
            if entry["type"] != COMMUNE_ACTUELLE
        )
        listed = {code for code, *_ in self.former}
        # Codes that vanished outright in older mergers are only listed in
        # their successor's `anciensCodes`; old addresses may still use them.
        vanished = defaultdict(set)
        for code, entry in self.actuelles.items():
            for old in entry.get("anciensCodes", []):
                if old not in listed and old not in self.actuelles:
                    vanished[old].add(code)
        for old, successors in sorted(vanished.items()):
            if len(successors) != 1:
                raise BuildError(f"old code {old} has several successors: {sorted(successors)}")
            self.former.append((old, "", ANCIEN_CODE, successors.pop()))
        self.former.sort()
        for code, name, kind, successor in self.former:
            if successor not in self.actuelles:
                raise BuildError(
                    f"{kind} {code} {name} names successor {successor}, which is not a commune actuelle of the COG list"
                )
        self.successor = {code: successor for code, _, _, successor in self.former}

    def current_code(self, code: str) -> str | None:
        """The 2026 commune actuelle that a 2018 code now belongs to."""
        if code in self.actuelles:
            return code
        return self.successor.get(code)

    def communes_of(self, departement: str) -> dict[str, dict]:
        return {code: entry for code, entry in sorted(self.actuelles.items()) if entry["departement"] == departement}


def epci_membership(epcis: list[dict]) -> dict[str, tuple[str, str]]:
    membership = {}
    for epci in epcis:
        for member in epci["membres"]:
            if member["code"] in membership:
                raise BuildError(f"commune {member['code']} belongs to two EPCI")
            membership[member["code"]] = (epci["code"], epci["nom"])
    return membership


# --------------------------------------------------------------------------
# Communes
# --------------------------------------------------------------------------


def dissolve_to_2026(raw_features: list[dict], cog: Cog, label: str):
    """Group 2018 polygons by their 2026 commune and union each group.

    Returns ``(geometries, unmapped)``: 2026 code -> clean geometry, and the
    2018 codes that no 2026 commune claims.
    """
    groups: dict[str, list] = defaultdict(list)
    members: dict[str, list[str]] = defaultdict(list)
    unmapped = []
    for raw in raw_features:
        code_2018 = raw["properties"]["code"]
        code_2026 = cog.current_code(code_2018)
        if code_2026 is None:
            unmapped.append(f"{code_2018} {raw['properties']['nom']}")
            continue
        groups[code_2026].append(shape(raw["geometry"]))
        members[code_2026].append(code_2018)
    geometries = {}
    for code in sorted(groups):
        absorbed = sorted(set(members[code]) - {code})
        if absorbed:
            info(f"{label}: dissolved {', '.join(absorbed)} into {code} ({cog.actuelles[code]['nom']})")
        geometries[code] = clean_polygon(shapely.union_all(groups[code]), f"commune {code}")
    return geometries, unmapped


def commune_properties(entry: dict) -> dict:
    return {
        "insee": entry["code"],
        "name": entry["nom"],
        "departement": entry["departement"],
        "postal_codes": sorted(entry.get("codesPostaux", [])),
        "population": int(entry["population"]),
        "arrondissement": entry["arrondissement"],
    }


def main_canton(geom_l93, cantons_l93: dict) -> tuple[str, float]:
    """The canton holding most of a commune, and the share it holds."""
    shares = {
        code: geom_l93.intersection(canton).area / geom_l93.area
        for code, canton in cantons_l93.items()
        if geom_l93.intersects(canton)
    }
    if not shares:
        return "", 0.0
    code = max(sorted(shares), key=shares.get)
    return code, shares[code]


def build_vosges_communes(shared: Path, cog: Cog, cantons: list[dict]) -> list[dict]:
    raw = read_features(shared / "admin-express-2018" / RAW_COMMUNE_FILES[VOSGES])
    geometries, unmapped = dissolve_to_2026(raw, cog, "Vosges")
    communes = cog.communes_of(VOSGES)
    missing = sorted(set(communes) - set(geometries))
    extra = sorted(set(geometries) - set(communes))
    if unmapped or missing or extra:
        raise BuildError(
            "Vosges communes and geometries do not match after the 2018->2026 merge: "
            f"2018 codes with no 2026 commune: {unmapped}; "
            f"2026 communes without geometry: {missing}; "
            f"geometries outside the 2026 Vosges list: {extra}"
        )
    membership = epci_membership(read_json(shared / "cog-2026" / "epci-88.json"))
    outside_epci = sorted(set(communes) - set(membership))
    if outside_epci:
        raise BuildError(f"Vosges communes in no EPCI: {outside_epci}")
    cantons_l93 = {item["properties"]["code"]: to_lambert93_geometry(geom) for item, geom in cantons}
    features = []
    for code, entry in communes.items():
        properties = commune_properties(entry)
        properties["epci_code"], properties["epci_name"] = membership[code]
        canton, share = main_canton(to_lambert93_geometry(geometries[code]), cantons_l93)
        if not canton:
            raise BuildError(f"commune {code} lies in no canton")
        if share < SPLIT_CANTON_SHARE:
            info(
                f"Vosges: {code} {entry['nom']} straddles cantons on the canton map; "
                f"canton {canton} holds {share:.0%} of it"
            )
        properties["canton"] = canton
        features.append(feature(properties, geometries[code]))
    return features


def build_neighbour_communes(shared: Path, cog: Cog) -> list[dict]:
    raw = []
    for departement in NEIGHBOURS:
        raw += read_features(shared / "admin-express-2018" / RAW_COMMUNE_FILES[departement])
    geometries, unmapped = dissolve_to_2026(raw, cog, "neighbours")
    for label in unmapped:
        warn(f"neighbours: 2018 commune {label} maps to no 2026 commune; skipped")
    features = []
    for departement in NEIGHBOURS:
        for code, entry in cog.communes_of(departement).items():
            if code not in geometries:
                warn(f"neighbours: 2026 commune {code} {entry['nom']} has no geometry; skipped")
                continue
            features.append(feature(commune_properties(entry), geometries.pop(code)))
    for code in sorted(geometries):
        warn(f"neighbours: geometry {code} is not a neighbour commune in 2026; skipped")
    features.sort(key=lambda item: item["properties"]["insee"])
    return features


# --------------------------------------------------------------------------
# Larger units
# --------------------------------------------------------------------------


def read_units(shared: Path, filename: str) -> list[tuple[dict, object]]:
    return [
        (item, clean_polygon(shape(item["geometry"]), f"{filename} {item['properties']['code']}"))
        for item in read_features(shared / "admin-express-2018" / filename)
    ]


def build_cantons(cantons: list[tuple[dict, object]]) -> list[dict]:
    rows = sorted(cantons, key=lambda pair: pair[0]["properties"]["code"])
    return [
        feature({"code": item["properties"]["code"], "name": item["properties"]["nom"]}, geom) for item, geom in rows
    ]


def build_arrondissements(shared: Path, communes: list[dict]) -> list[dict]:
    """Arrondissements as of 2026, dissolved from the 2026 communes.

    The 2018 polygons are out of date (dozens of communes have changed
    arrondissement since) and are numbered 88001-88003, which matches
    nothing else; they only lend their names, matched to the COG codes
    (881, 882, 883) by the communes that fall inside each polygon.
    """
    points = [(item["properties"], shape(item["geometry"]).representative_point()) for item in communes]
    names = {}
    moved = []
    for item, geom in read_units(shared, "arrondissements-88-vosges.geojson"):
        inside = [props for props, point in points if geom.contains(point)]
        votes = Counter(props["arrondissement"] for props in inside)
        if not votes:
            raise BuildError(f"arrondissement {item['properties']['nom']} contains no commune")
        code = votes.most_common(1)[0][0]
        if code in names:
            raise BuildError(f"two 2018 arrondissements match COG code {code}")
        names[code] = item["properties"]["nom"]
        moved += [props["insee"] for props in inside if props["arrondissement"] != code]
    if moved:
        info(
            f"arrondissements: {len(moved)} communes changed arrondissement since the "
            "2018 map; polygons rebuilt from the 2026 communes"
        )
    features = []
    for code in sorted({props["arrondissement"] for props, _ in points}):
        members = [item for item in communes if item["properties"]["arrondissement"] == code]
        if code not in names:
            raise BuildError(f"no name found for arrondissement {code}")
        geom = shapely.union_all([shape(item["geometry"]) for item in members])
        properties = {
            "code": code,
            "name": names[code],
            "commune_count": len(members),
            "population": sum(item["properties"]["population"] for item in members),
        }
        features.append(feature(properties, clean_polygon(geom, f"arrondissement {code}")))
    return features


def build_outline(shared: Path) -> list[dict]:
    ((item, geom),) = read_units(shared, "departement-88-vosges.geojson")
    return [feature({"code": item["properties"]["code"], "name": item["properties"]["nom"]}, geom)]


def build_departements(shared: Path) -> list[dict]:
    features = []
    for item in read_features(shared / "admin-express-2018" / "departements-version-simplifiee.geojson"):
        code = item["properties"]["code"]
        if code in DEPARTEMENTS:
            geom = clean_polygon(shape(item["geometry"]), f"departement {code}")
            features.append(feature({"code": code, "name": item["properties"]["nom"]}, geom))
    found = sorted(item["properties"]["code"] for item in features)
    if found != sorted(DEPARTEMENTS):
        raise BuildError(f"expected départements {sorted(DEPARTEMENTS)}, found {found}")
    return sorted(features, key=lambda item: item["properties"]["code"])


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def former_rows(cog: Cog) -> list[list[str]]:
    return [
        [code, name, kind, successor, cog.actuelles[successor]["nom"]] for code, name, kind, successor in cog.former
    ]


def same_name(old: str, current: str) -> bool:
    """Whether two names only differ by spelling or by the leading article
    the 2018 source leaves out ("Bresse" for "La Bresse")."""
    old_key, current_key = name_key(old), name_key(current)
    article, _, rest = current_key.partition(" ")
    return old_key == current_key or (article in ARTICLES and old_key == rest)


def former_name_rows(shared: Path, cog: Cog) -> list[list[str]]:
    """Names communes bore in the 2018 reference that no longer name their
    2026 successor: renamed communes (88465 "Capavenir Vosges", now
    Thaon-les-Vosges) and communes absorbed since 2018 whose name the 2026
    list does not give. One row per (name, 2018 code)."""
    listed = {(code, name_key(name)) for code, name, _, _ in cog.former}
    rows = set()
    for departement in DEPARTEMENTS:
        for raw in read_features(shared / "admin-express-2018" / RAW_COMMUNE_FILES[departement]):
            code, name = raw["properties"]["code"], raw["properties"]["nom"]
            successor = cog.current_code(code)
            if successor is None:
                continue
            current = cog.actuelles[successor]["nom"]
            # Spellings that only differ by case, accents or hyphens already
            # meet on one key in the geocoder; a déléguée of that name is
            # already in former-communes.csv.
            if same_name(name, current) or (code, name_key(name)) in listed:
                continue
            rows.add((name, code, "2018", successor, current))
    return [list(row) for row in sorted(rows, key=lambda row: (row[1], row[0]))]


def ssmsi_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(SSMSI_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise BuildError(f"{path.name} lacks columns {sorted(missing)}")
        rows = []
        for record in reader:
            row = [record[column] for column in SSMSI_COLUMNS]
            # Parse to fail on a malformed figure, but write the source text
            # so that no float formatting creeps in.
            int(row[1]), int(row[4]), float(row[5]), int(row[6])
            rows.append(row)
    return sorted(rows, key=lambda row: (row[0], int(row[1]), row[2], row[3]))


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def build(shared: Path, out: Path) -> list[Path]:
    """Build every reference file from ``shared`` into ``out``.

    Returns the paths written, in the order written.
    """
    shared, out = Path(shared), Path(out)
    if not (shared / "cog-2026" / "communes-88-and-neighbours.json").is_file():
        raise BuildError(f"{shared} does not look like the raw reference data folder")
    out.mkdir(parents=True, exist_ok=True)
    cog = Cog(read_json(shared / "cog-2026" / "communes-88-and-neighbours.json"))
    cantons = read_units(shared, "cantons-88-vosges.geojson")

    communes = build_vosges_communes(shared, cog, cantons)
    outputs = {
        "communes-88.geojson": communes,
        "communes-neighbours.geojson": build_neighbour_communes(shared, cog),
        "vosges-outline.geojson": build_outline(shared),
        "cantons-88.geojson": build_cantons(cantons),
        "arrondissements-88.geojson": build_arrondissements(shared, communes),
        "departements.geojson": build_departements(shared),
    }
    written = []
    for name, features in outputs.items():
        write_geojson(out / name, features)
        written.append(out / name)

    write_csv(
        out / "former-communes.csv",
        ["code", "name", "type", "successor_code", "successor_name"],
        former_rows(cog),
    )
    write_csv(
        out / "former-names.csv",
        ["name", "code", "year", "successor_code", "successor_name"],
        former_name_rows(shared, cog),
    )
    write_csv(
        out / "ssmsi-drugs.csv",
        list(SSMSI_COLUMNS.values()),
        ssmsi_rows(shared / "ssmsi" / "ssmsi_departements_stupefiants_2016_2025.csv"),
    )
    shutil.copyfile(
        shared / "cog-2026" / "LICENSE-decoupage-administratif",
        out / "LICENSE-decoupage-administratif",
    )
    written += [
        out / "former-communes.csv",
        out / "former-names.csv",
        out / "ssmsi-drugs.csv",
        out / "LICENSE-decoupage-administratif",
    ]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="raw data folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in build(args.shared, args.out):
        info(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
