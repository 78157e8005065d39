"""Exports read back (pandas/openpyxl/pyogrio) and compared with what the
filter selected; the shared filter's parameters and its refusals."""

import io
import json
from datetime import date

import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from webmap import db
from webmap.db.models import PARIS
from webmap.services.exporter import SPREADSHEET_COLUMNS, export_reports
from webmap.services.filters import (
    FilterError,
    ReportFilter,
    parse_filter,
    select_reports,
)

# The demo data are fictitious, and the exports say so.
MARKING = "DIFFUSION RESTREINTE – DONNÉES FICTIVES"


@pytest.fixture
def demo_session(demo_app):
    with demo_app.app_context():
        yield db.get_session()


@pytest.fixture
def selection(demo_session):
    report_filter = parse_filter({"agencies": "GN,DOUANE", "min_grading": "C3", "start": "2025-06-01"})
    reports = select_reports(demo_session, report_filter)
    assert 50 < len(reports)
    return reports


def exported(reports, format_name, tmp_path):
    path = tmp_path / f"export.{format_name}"
    with path.open("wb") as handle:
        export_reports(reports, format_name, handle, marking="DIFFUSION RESTREINTE")
    return path


def test_csv_for_french_excel(selection, tmp_path):
    path = exported(selection, "csv", tmp_path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + MARKING.encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == MARKING and lines[-1] == MARKING
    back = pd.read_csv(io.StringIO("\n".join(lines[1:-1])), sep=";", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(SPREADSHEET_COLUMNS)
    assert back["Référence"].tolist() == selection["agency_ref"].tolist()
    expected_dates = [moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") for moment in selection["observed_at"]]
    assert back["Date des faits"].tolist() == expected_dates
    assert back["Cotation"].tolist() == (selection["reliability"] + selection["credibility"].astype(str)).tolist()
    lon = back["Longitude"].str.replace(",", ".").astype(float)
    assert (abs(lon.to_numpy() - selection["lon"].to_numpy()) < 1e-6).all()
    assert set(back["Service"]) <= {"GN", "DOUANE"}


def test_xlsx(selection, tmp_path):
    path = exported(selection, "xlsx", tmp_path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == MARKING and rows[-1][0] == MARKING
    assert list(rows[1]) == list(SPREADSHEET_COLUMNS)
    body = rows[2:-1]
    assert [row[0] for row in body] == selection["agency_ref"].tolist()
    assert [row[2] for row in body] == [m.astimezone(PARIS).replace(tzinfo=None) for m in selection["observed_at"]]
    assert sheet.oddHeader.center.text == MARKING and sheet.oddFooter.center.text == MARKING
    assert sheet.cell(row=3, column=3).number_format == "dd/mm/yyyy hh:mm"


def test_geojson_in_wgs84(selection, tmp_path):
    path = exported(selection, "geojson", tmp_path)
    frame = pyogrio.read_dataframe(path)
    assert frame.crs.to_epsg() == 4326
    assert frame["agency_ref"].tolist() == selection["agency_ref"].tolist()
    assert (abs(frame.geometry.x.to_numpy() - selection["lon"].to_numpy()) < 1e-9).all()
    assert json.loads(path.read_text())["marking"] == MARKING


def test_geopackage_in_lambert93(selection, tmp_path):
    path = exported(selection, "gpkg", tmp_path)
    assert pyogrio.list_layers(path)[0][0] == "signalements"
    frame = pyogrio.read_dataframe(path, layer="signalements")
    assert frame.crs.to_epsg() == 2154
    assert frame["agency_ref"].tolist() == selection["agency_ref"].tolist()
    assert (abs(frame.geometry.x.to_numpy() - selection["x_l93"].to_numpy()) < 1e-6).all()
    assert (abs(frame.geometry.y.to_numpy() - selection["y_l93"].to_numpy()) < 1e-6).all()
    assert frame["grading"].tolist() == (selection["reliability"] + selection["credibility"].astype(str)).tolist()


def test_export_command_writes_every_format(demo_app, demo_session, tmp_path):
    runner = demo_app.test_cli_runner()
    expected = select_reports(demo_session, parse_filter({"categories": "seizure", "substances": "cocaine"}))
    for format_name in ("csv", "xlsx", "geojson", "gpkg"):
        out = tmp_path / f"out.{format_name}"
        result = runner.invoke(
            args=[
                "export",
                "--format",
                format_name,
                "--out",
                str(out),
                "--categories",
                "seizure",
                "--substances",
                "cocaine",
            ]
        )
        assert result.exit_code == 0, result.output
        assert f"{len(expected)} signalement(s)" in result.output
    frame = pyogrio.read_dataframe(tmp_path / "out.gpkg")
    assert set(frame["category"]) == {"seizure"}
    assert all("cocaine" in s.split(",") for s in frame["substances"])
    result = runner.invoke(args=["export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--bbox", "1,2"])
    assert result.exit_code == 2 and "--bbox" in result.output


def test_filters_select_what_they_say(demo_session):
    everything = select_reports(demo_session, ReportFilter())
    zone = shapely.Polygon([(6.3, 48.1), (6.6, 48.1), (6.6, 48.3), (6.3, 48.3)])
    cases = {
        "agencies": ({"agencies": "PJ"}, lambda r: r["agency"] == "PJ"),
        "substances": (
            {"substances": "crack,heroin"},
            lambda r: r["substances"].map(lambda s: bool({"crack", "heroin"} & set(s.split(",")))),
        ),
        "min_grading": ({"min_grading": "B2"}, lambda r: (r["reliability"] <= "B") & (r["credibility"] <= 2)),
        "bbox": ({"bbox": "6.3,48.1,6.6,48.3"}, lambda r: r["lon"].between(6.3, 6.6) & r["lat"].between(48.1, 48.3)),
        "zone": (
            {"zone": json.dumps(shapely.geometry.mapping(zone))},
            lambda r: pd.Series(shapely.intersects_xy(zone, r["lon"], r["lat"]), index=r.index),
        ),
        "dates": (
            {"start": "2026-01-01", "end": "2026-01-31"},
            lambda r: r["observed_at"].map(
                lambda m: date(2026, 1, 1) <= m.astimezone(PARIS).date() <= date(2026, 1, 31)
            ),
        ),
    }
    for name, (params, predicate) in cases.items():
        got = select_reports(demo_session, parse_filter(params))
        want = everything.loc[predicate(everything).astype(bool)]
        assert 0 < len(got) < len(everything), name
        assert got["id"].tolist() == want["id"].tolist(), name


def test_filter_round_trips_through_its_parameters():
    params = {
        "start": "2026-01-01",
        "end": "2026-02-01",
        "agencies": "GN,PJ",
        "categories": "tip",
        "substances": "cocaine",
        "min_grading": "B2",
        "bbox": "6.0,48.0,7.0,48.5",
        "zone": '{"type": "Polygon", "coordinates": [[[6, 48], [7, 48], [7, 49], [6, 48]]]}',
    }
    report_filter = parse_filter(params)
    again = parse_filter(report_filter.to_params())
    assert again == report_filter and again.zone.equals(report_filter.zone)


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"start": "25/11/2026"}, "start"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"agencies": "GN,BAC"}, "agencies"),
        ({"categories": "braquage"}, "categories"),
        ({"substances": "poudre"}, "substances"),
        ({"min_grading": "G2"}, "min_grading"),
        ({"min_grading": "B7"}, "min_grading"),
        ({"bbox": "6,48,7"}, "bbox"),
        ({"bbox": "7,48,6,49"}, "bbox"),
        ({"zone": "{not json"}, "zone"),
        ({"zone": '{"type": "Point", "coordinates": [6, 48]}'}, "zone"),
        ({"zone": '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}'}, "zone"),
    ],
)
def test_bad_filter_parameters_are_named(params, parameter):
    with pytest.raises(FilterError) as caught:
        parse_filter(params, known_agencies=["GN", "PJ"])
    assert caught.value.parameter == parameter


def test_formulas_are_neutralised_and_an_export_imports_back(app, runner, tmp_path):
    from tests.apps import DATA
    from tests.apps import stored_reports as reports

    assert runner.invoke(args=["import", str(DATA / "reports-gn-cp1252.csv")]).exit_code == 0
    for format_name in ("csv", "xlsx"):
        out = tmp_path / f"gn.{format_name}"
        assert runner.invoke(args=["export", "--format", format_name, "--out", str(out)]).exit_code == 0
    csv_text = (tmp_path / "gn.csv").read_bytes().decode("utf-8-sig")
    assert csv_text.startswith("DIFFUSION RESTREINTE\r\n")  # real data: no "fictitious" mention
    assert "'=HYPERLINK" in csv_text and ";=HYPERLINK" not in csv_text
    sheet = openpyxl.load_workbook(tmp_path / "gn.xlsx").active
    summaries = [row[8] for row in sheet.iter_rows(min_row=3, values_only=True) if row[8]]
    assert '\'=HYPERLINK("http://exemple")' in summaries
    assert sheet.cell(row=3, column=9).data_type == "s"

    # The CSV export is an import file: into an empty database, same reports.
    from tests.apps import make_app

    original = reports(app)
    with pytest.MonkeyPatch.context() as monkeypatch:
        other = make_app(tmp_path / "other", monkeypatch)
    result = other.test_cli_runner().invoke(args=["import", str(tmp_path / "gn.csv")])
    assert result.exit_code == 0, result.output
    copied = reports(other)
    assert set(copied) == set(original)
    for ref, report in original.items():
        again = copied[ref]
        assert (again.agency, again.observed_at, again.category, again.substances, again.grading, again.insee) == (
            report.agency,
            report.observed_at,
            report.category,
            report.substances,
            report.grading,
            report.insee,
        )
        assert abs(again.lon - report.lon) < 1e-5
    # The neutralising apostrophe is the one thing a round trip adds.
    assert copied["GN-2025-005"].summary == "'" + original["GN-2025-005"].summary
