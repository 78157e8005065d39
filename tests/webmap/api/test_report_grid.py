"""/api/reports?aggregate=auto: above MAP_POINTS_MAX reports in view, counts
per square of a Lambert-93 grid instead of points, the same reports
counted as the points path would send, on SQLite and PostgreSQL alike."""

import json
from collections import Counter

import numpy as np
import pytest

from tests.apps import make_app
from tests.signin import add_user
from webmap.db import get_session
from webmap.services.store import reports_frame

# A box around Épinal, and a triangle inside it (WGS84).
EPINAL_BOX = "6.35,48.1,6.55,48.25"
TRIANGLE = json.dumps(
    {"type": "Polygon", "coordinates": [[[6.38, 48.12], [6.52, 48.13], [6.45, 48.23], [6.38, 48.12]]]}
)
FILTERS = [
    "",
    "start=2024-01-01&end=2025-06-30&agencies=GN,PJ,DOUANE",
    "categories=deal_point,seizure&min_grading=C3",
    f"bbox={EPINAL_BOX}",
    f"zone={TRIANGLE}",
    "weekdays=4,5&hours=18-3",
]


@pytest.fixture
def dense(demo_instance, monkeypatch):
    """The demo data, with a threshold low enough that its views are squares."""
    return make_app(demo_instance, monkeypatch, MAP_POINTS_MAX=100)


def squares_of_points(app, client, query, size):
    """Count per (i, j, agency) of the points /api/reports sends for query,
    placed by their stored Lambert-93 metres."""
    points = client.get(f"/api/reports?format=compact&{query}").get_json()
    with app.app_context():
        frame = reports_frame(get_session()).set_index("id").loc[points["id"]]
    i = np.floor(frame["x_l93"].to_numpy() / size).astype(int)
    j = np.floor(frame["y_l93"].to_numpy() / size).astype(int)
    return Counter(zip(i.tolist(), j.tolist(), frame["agency"].tolist())), points["count"]


@pytest.mark.parametrize("query", FILTERS)
def test_squares_count_the_points_the_view_would_send(dense, query):
    client = dense.test_client()
    grid = client.get(f"/api/reports?format=compact&aggregate=auto&{query}").get_json()
    assert grid["aggregated"] is True
    expected, n_points = squares_of_points(dense, client, query, grid["cell_m"])
    assert grid["count"] == n_points > 100
    counted = Counter()
    for cell in grid["cells"]:
        assert cell["count"] == sum(cell["by_agency"].values())
        for agency, n in cell["by_agency"].items():
            counted[(cell["i"], cell["j"], agency)] += n
    assert counted == expected


def test_square_bounds_hold_their_points(dense):
    client = dense.test_client()
    grid = client.get(f"/api/reports?format=compact&aggregate=auto&bbox={EPINAL_BOX}").get_json()
    points = client.get(f"/api/reports?format=compact&bbox={EPINAL_BOX}").get_json()
    with dense.app_context():
        frame = reports_frame(get_session()).set_index("id").loc[points["id"]]
    size = grid["cell_m"]
    cells = {(c["i"], c["j"]): c["bounds"] for c in grid["cells"]}
    # A Lambert-93 square is not quite a WGS84 rectangle: a few metres of slack.
    slack = 0.0005
    for lon, lat, x, y in zip(frame["lon"], frame["lat"], frame["x_l93"], frame["y_l93"]):
        south, west, north, east = cells[(int(x // size), int(y // size))]
        assert south - slack <= lat <= north + slack and west - slack <= lon <= east + slack


def test_a_smaller_view_gets_smaller_squares(dense):
    client = dense.test_client()
    whole = client.get("/api/reports?format=compact&aggregate=auto").get_json()
    town = client.get(f"/api/reports?format=compact&aggregate=auto&bbox={EPINAL_BOX}").get_json()
    assert town["cell_m"] < whole["cell_m"]


def test_below_the_threshold_the_points_come_back(demo_instance, monkeypatch):
    app = make_app(demo_instance, monkeypatch, MAP_POINTS_MAX=1_000_000)
    client = app.test_client()
    answer = client.get("/api/reports?format=compact&aggregate=auto").get_json()
    assert "cells" not in answer and answer["count"] == len(answer["id"]) > 100
    assert answer == client.get("/api/reports?format=compact").get_json()


def test_aggregate_takes_only_auto(dense):
    response = dense.test_client().get("/api/reports?aggregate=yes")
    assert response.status_code == 400 and response.get_json()["parameter"] == "aggregate"


# ---------------------------------------------------------------- need-to-know
ROWS = [(f"GN-{k}", "GN", f"0{k + 1}/03/2026 10:00", f"48,179{k}", "6,4533", "") for k in range(5)]
ROWS.append(("DOU-SECRET", "DOUANE", "05/03/2026 10:00", "48,3500", "6,9000", "Restreint"))


@pytest.fixture
def cell(tmp_path, monkeypatch):
    """Five shared reports in Épinal and one restricted by customs far from
    them, with every view aggregated (threshold 0)."""
    app = make_app(tmp_path / "instance", monkeypatch, MAP_POINTS_MAX=0)
    lines = ["Référence;Service;Date des faits;Nature;Cotation;Latitude;Longitude;Diffusion"]
    lines += [
        ";".join((ref, agency, when, "Point de deal", "B2", lat, lon, handling))
        for ref, agency, when, lat, lon, handling in ROWS
    ]
    path = tmp_path / "cell.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    add_user(app, "analyst-gn", role="analyst", agency="GN")
    add_user(app, "analyst-douane", role="analyst", agency="DOUANE")
    return app


@pytest.mark.parametrize("query", ["", "weekdays=0,1,2,3,4,5", "bbox=6,48,7.2,48.6", f"zone={TRIANGLE}"])
def test_restricted_reports_of_others_are_not_counted_in_squares(cell, query):
    gn = cell.test_client(user="analyst-gn").get(f"/api/reports?aggregate=auto&{query}").get_json()
    douane = cell.test_client(user="analyst-douane").get(f"/api/reports?aggregate=auto&{query}").get_json()
    gn_points = cell.test_client(user="analyst-gn").get(f"/api/reports?format=compact&{query}").get_json()
    assert gn["count"] == gn_points["count"]
    assert all("DOUANE" not in c["by_agency"] for c in gn["cells"])
    # The secret's square is not among the gendarme's: nothing drawn where it is.
    secret = [c for c in douane["cells"] if "DOUANE" in c["by_agency"]]
    if query.startswith("zone"):
        assert not secret  # outside the triangle
    else:
        assert douane["count"] == gn["count"] + 1
        assert (secret[0]["i"], secret[0]["j"]) not in {(c["i"], c["j"]) for c in gn["cells"]}
