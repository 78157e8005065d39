"""Exports of reports for Excel and QGIS. Flask-free.

:data:`FORMATS` maps a format name to its writer (STYLE habit 10): add a
format by adding a function and a line. Every writer takes the reports as
``webmap.services.filters.select_reports`` returns them and a binary file object.

- ``csv``: for French Excel: ``;``, UTF-8 with BOM, dates ``dd/mm/yyyy
  HH:MM`` (Europe/Paris), decimal commas, French headers and labels;
- ``xlsx``: the same columns, dates and numbers as real Excel values;
- ``geojson``: RFC 7946, WGS84 longitude/latitude;
- ``gpkg``: GeoPackage layer ``signalements`` in Lambert-93 (EPSG:2154).

The spreadsheet formats carry the handling marking on their first and last
lines (and in the XLSX print header and footer), and neutralise text that
Excel would run as a formula. Their headers are those the import recognises,
so an export can be imported back.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.crs import LAMBERT93, WGS84
from webmap.db.models import PARIS
from webmap.services.formulas import neutralize
from webmap.services.importer.columns import (
    CATEGORY_WORDS,
    HANDLING_WORDS,
    PRECISION_WORDS,
    SUBSTANCE_WORDS,
    UNIT_WORDS,
    label,
)

#: (header, how to get the value) of the spreadsheet exports, in order.
SPREADSHEET_COLUMNS = (
    "Référence",
    "Service",
    "Date des faits",
    "Catégorie",
    "Produit",
    "Quantité",
    "Unité",
    "Cotation",
    "Résumé",
    "Lieu indiqué",
    "Commune",
    "Code INSEE",
    "Précision",
    "Longitude",
    "Latitude",
    "X",
    "Y",
    # Last, so that a re-import keeps who may see each report.
    "Diffusion",
)

#: Field names of the GIS exports, in order.
GIS_COLUMNS = (
    "agency_ref",
    "agency",
    "observed_at",
    "category",
    "substances",
    "quantity",
    "unit",
    "grading",
    "summary",
    "place_text",
    "commune",
    "insee",
    "precision",
    "fictitious",
    "handling",
)


@functools.lru_cache(maxsize=1)
def _commune_names() -> dict[str, str]:
    from geo.reference import load_communes, load_neighbour_communes

    names = {}
    for frame in (load_neighbour_communes(), load_communes()):
        names.update(zip(frame["insee"], frame["name"]))
    return names


def _local_times(reports: pd.DataFrame) -> pd.Series:
    return pd.Series([moment.astimezone(PARIS) for moment in reports["observed_at"]], index=reports.index, dtype=object)


def _substance_labels(codes: str) -> str:
    return ", ".join(label(SUBSTANCE_WORDS, code) for code in str(codes or "").split(",") if code)


def spreadsheet_rows(reports: pd.DataFrame):
    """One list of cell values per report (numbers and datetimes as such)."""
    names = _commune_names()
    times = _local_times(reports) if len(reports) else []
    for (_, row), moment in zip(reports.iterrows(), times):
        quantity = None if pd.isna(row["quantity"]) else float(row["quantity"])
        unit = None if row["unit"] is None or pd.isna(row["unit"]) else label(UNIT_WORDS, row["unit"])
        yield [
            row["agency_ref"],
            row["agency"],
            moment,
            label(CATEGORY_WORDS, row["category"]),
            _substance_labels(row["substances"]),
            quantity,
            unit,
            f"{row['reliability']}{row['credibility']}",
            row["summary"],
            row["place_text"],
            names.get(row["insee"], ""),
            row["insee"],
            label(PRECISION_WORDS, row["precision"]),
            float(row["lon"]),
            float(row["lat"]),
            float(row["x_l93"]),
            float(row["y_l93"]),
            label(HANDLING_WORDS, row.get("handling") or "shared"),
        ]


def _french_number(value, decimals=None):
    if value is None:
        return ""
    text = (
        f"{value:.{decimals}f}"
        if decimals is not None
        else (str(int(value)) if float(value).is_integer() else repr(value))
    )
    return text.replace(".", ",")


def write_csv(reports: pd.DataFrame, out, *, marking: str = "") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if marking:
        writer.writerow([marking])
    writer.writerow(SPREADSHEET_COLUMNS)
    for cells in spreadsheet_rows(reports):
        cells[2] = cells[2].strftime("%d/%m/%Y %H:%M")
        cells[5] = _french_number(cells[5])
        cells[13], cells[14] = _french_number(cells[13], 6), _french_number(cells[14], 6)
        cells[15], cells[16] = _french_number(cells[15], 1), _french_number(cells[16], 1)
        writer.writerow(
            [neutralize(cell) if index not in (5, 13, 14, 15, 16) else cell for index, cell in enumerate(cells)]
        )
    if marking:
        writer.writerow([marking])
    out.write(codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8"))


def write_xlsx(reports: pd.DataFrame, out, *, marking: str = "") -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Signalements"
    if marking:
        sheet.append([marking])
        sheet.cell(row=1, column=1).font = Font(bold=True, color="B00020")
        for header_footer in (sheet.oddHeader, sheet.oddFooter):
            header_footer.center.text = marking
    sheet.append(list(SPREADSHEET_COLUMNS))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for cells in spreadsheet_rows(reports):
        # Excel has no time zones: the local time is what analysts read.
        cells[2] = cells[2].replace(tzinfo=None)
        sheet.append([neutralize(cell) for cell in cells])
    for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=3, max_col=3):
        cell.number_format = "dd/mm/yyyy hh:mm"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if marking:
        sheet.append([marking])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, color="B00020")
    workbook.save(out)


def gis_frame(reports: pd.DataFrame, crs: str) -> gpd.GeoDataFrame:
    """The GIS exports' table: stored codes, one point per report in ``crs``."""
    names = _commune_names()
    frame = pd.DataFrame(
        {
            "agency_ref": reports["agency_ref"].astype(str),
            "agency": reports["agency"].astype(str),
            "observed_at": [moment.isoformat() for moment in _local_times(reports)] if len(reports) else [],
            "category": reports["category"].astype(str),
            "substances": reports["substances"].astype(str),
            "quantity": pd.to_numeric(reports["quantity"], errors="coerce").astype(float),
            "unit": reports["unit"].astype(object),
            "grading": (reports["reliability"].astype(str) + reports["credibility"].astype(str)),
            "summary": reports["summary"].astype(str),
            "place_text": reports["place_text"].astype(str),
            "commune": reports["insee"].map(names).fillna("").astype(str),
            "insee": reports["insee"].astype(str),
            "precision": reports["precision"].astype(str),
            "fictitious": reports["fictitious"].astype(bool),
            "handling": reports["handling"].astype(str) if "handling" in reports else "shared",
        }
    )
    if crs == LAMBERT93:
        geometry = gpd.points_from_xy(reports["x_l93"].astype(float), reports["y_l93"].astype(float), crs=LAMBERT93)
    else:
        geometry = gpd.points_from_xy(reports["lon"].astype(float), reports["lat"].astype(float), crs=WGS84)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


def write_geojson(reports: pd.DataFrame, out, *, marking: str = "") -> None:
    frame = gis_frame(reports, WGS84)
    features = []
    for properties, point in zip(frame.drop(columns="geometry").to_dict("records"), frame.geometry):
        if pd.isna(properties["quantity"]):
            properties["quantity"] = None
        if properties["unit"] is not None and pd.isna(properties["unit"]):
            properties["unit"] = None
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                "properties": properties,
            }
        )
    # RFC 7946 GeoJSON is WGS84 by definition; "marking" is a foreign member.
    document = {"type": "FeatureCollection", "marking": marking, "features": features}
    out.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))


def write_gpkg(reports: pd.DataFrame, out, *, marking: str = "") -> None:
    frame = gis_frame(reports, LAMBERT93)
    # GDAL writes GeoPackages to a path, not a stream.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.gpkg"
        frame.to_file(
            path,
            layer="signalements",
            driver="GPKG",
            engine="pyogrio",
            layer_options={"DESCRIPTION": marking} if marking else None,
        )
        out.write(path.read_bytes())


@dataclass(frozen=True)
class ExportFormat:
    writer: object
    extension: str
    mimetype: str


#: Export formats by name (STYLE habit 10).
FORMATS = {
    "csv": ExportFormat(write_csv, "csv", "text/csv; charset=utf-8"),
    "xlsx": ExportFormat(write_xlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "geojson": ExportFormat(write_geojson, "geojson", "application/geo+json"),
    "gpkg": ExportFormat(write_gpkg, "gpkg", "application/geopackage+sqlite3"),
}


def export_reports(
    reports: pd.DataFrame, format_name: str, out, *, marking: str = "", fictitious_marking: str = "DONNÉES FICTIVES"
) -> None:
    """Write ``reports`` to the binary file object ``out`` in ``format_name``.
    When they include fictitious (demo) reports, ``fictitious_marking`` is
    added to the marking (both from the configuration).

    Raises ``ValueError`` (French) for an unknown format.
    """
    if format_name not in FORMATS:
        raise ValueError(f"Format d'export inconnu : « {format_name} » (formats : {', '.join(FORMATS)}).")
    if len(reports) and reports["fictitious"].any():
        # Demo data must never pass for real in a meeting.
        marking = f"{marking} – {fictitious_marking}" if marking else fictitious_marking
    FORMATS[format_name].writer(reports, out, marking=marking)
