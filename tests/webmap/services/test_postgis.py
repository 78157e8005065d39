"""Spatial work done by the database on PostgreSQL/PostGIS gives the answers
of the SQLite path: the same reports in a zone or a bbox, the same hotspots
as PostGIS's own DBSCAN."""

import numpy as np
import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import text

from tests.databases import ON_POSTGRES
from webmap import db
from webmap.services import hotspots as service
from webmap.services.filters import ReportFilter, filter_frame, select_reports
from webmap.services.store import ANALYSIS_COLUMNS, reports_frame

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="PostGIS: set CROSSMAP_TEST_DATABASE_URL (make test-postgres)"
)


def _filters(reports):
    rng = np.random.default_rng(15)
    lon, lat = reports["lon"].to_numpy(), reports["lat"].to_numpy()
    filters = []
    for _ in range(6):
        x, y = rng.uniform(lon.min(), lon.max()), rng.uniform(lat.min(), lat.max())
        angles = np.sort(rng.uniform(0, 2 * np.pi, 7))
        radii = rng.uniform(0.05, 0.3, 7)
        zone = Polygon(zip(x + radii * np.cos(angles), y + radii * np.sin(angles)))
        filters.append(ReportFilter(zone=zone))
    # Edges through reports themselves: points on the boundary are inside.
    west, south = lon[0], lat[1]
    filters.append(ReportFilter(zone=box(west, south, west + 0.2, south + 0.15)))
    filters.append(ReportFilter(bbox=(west, south, west + 0.3, south + 0.2)))
    filters.append(ReportFilter(bbox=(west - 0.5, south - 0.5, west, south), agencies=("GN", "DOUANE")))
    return filters


def test_zone_and_bbox_keep_the_same_reports_in_the_database_as_in_python(demo_app):
    with demo_app.app_context():
        session = db.get_session()
        everything = reports_frame(session)
        for report_filter in _filters(everything):
            in_python = filter_frame(everything, report_filter)["id"].tolist()
            selected = select_reports(session, report_filter, ANALYSIS_COLUMNS)["id"].tolist()
            assert selected == in_python
            assert len(selected) > 0


@postgres_only
def test_the_point_follows_the_coordinates(app):
    with app.app_context():
        session = db.get_session()
        session.execute(
            text(
                "INSERT INTO import_batch (kind, created_at, added, updated, rejected, unchanged) "
                "VALUES ('file', now(), 0, 0, 0, 0)"
            )
        )
        session.execute(
            text(
                "INSERT INTO report (agency, agency_ref, observed_at, category, substances, reliability, credibility, "
                "summary, place_text, x_l93, y_l93, lon, lat, insee, precision, batch_id, imported_at, fictitious) "
                "VALUES ('GN', 'R1', now(), 'tip', '', 'B', 2, '', '', 950000, 6790000, 6.45, 48.17, '88160', 'point', "
                "1, now(), false)"
            )
        )
        session.execute(text("UPDATE report SET x_l93 = 951000"))
        assert session.execute(text("SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM report")).one() == (
            951000,
            6790000,
            2154,
        )


@postgres_only
def test_hotspots_equal_the_core_partitions_of_st_clusterdbscan(demo_app):
    eps, min_samples = demo_app.config["CLUSTERING"]["eps"], demo_app.config["CLUSTERING"]["min_samples"]
    with demo_app.app_context():
        session = db.get_session()
        frame = select_reports(session, ReportFilter(), ANALYSIS_COLUMNS)
        spots = service.hotspots(session, frame, service.ClusterParams(eps=eps, min_samples=min_samples))
        session.rollback()
        # Reports known only by their commune are left out of hotspots
        # (analysis.hotspots.cluster_reports): out of PostGIS's run too.
        labels = dict(
            session.execute(
                text(
                    "SELECT id, ST_ClusterDBSCAN(geom, eps := :eps, minpoints := :min) OVER () FROM report "
                    "WHERE precision <> 'commune'"
                ),
                {"eps": eps, "min": min_samples},
            ).all()
        )
        # A core report has min_samples reports (itself included) within eps.
        core = set(
            session.scalars(
                text(
                    "SELECT r.id FROM report r JOIN report o ON ST_DWithin(r.geom, o.geom, :eps) "
                    "WHERE r.precision <> 'commune' AND o.precision <> 'commune' "
                    "GROUP BY r.id HAVING count(*) >= :min"
                ),
                {"eps": eps, "min": min_samples},
            )
        )
    postgis = {}
    for report_id in core:
        postgis.setdefault(labels[report_id], set()).add(report_id)
    ours = [set(spot.report_ids) & core for spot in spots]
    assert len(spots) > 3 and None not in postgis
    # Border reports within reach of two hotspots may go to either: the
    # core reports decide what a hotspot is.
    assert sorted(map(sorted, ours)) == sorted(map(sorted, postgis.values()))
