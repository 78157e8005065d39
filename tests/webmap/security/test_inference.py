"""Need-to-know against inference (issue #16, findings 1 and 2): the attacks
of the review, as a gendarmerie user trying to locate, date or qualify
customs' restricted reports.

The guarantee (README): no sequence of requests by a user of agency A
locates a restricted report of agency B more precisely than its commune,
dates it more precisely than its ISO week, or reveals its category,
substance or grading. It is tested as indistinguishability: two worlds
hold the same shared reports, and restricted reports in the same communes
and ISO weeks but at other places, hours, categories, substances and
gradings; every request a gendarmerie user makes gets the same answer in
both. An attacker who cannot tell the worlds apart cannot narrow a
restricted report below its commune and week, whatever the sequence.
"""

import gzip
import io
import json
from contextlib import ExitStack

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.apps import make_app
from tests.signin import add_user

HEADER = "Référence;Service;Date des faits;Nature;Produit;Cotation;Latitude;Longitude;Diffusion;Résumé"
# Six shared gendarmerie reports in Épinal (88160): a hotspot everyone sees.
SHARED = [
    (
        f"GN-{i}",
        "GN",
        f"0{i + 1}/03/2026 10:00",
        "deal_point",
        "cannabis_herb",
        "B2",
        48.1720 + i * 0.0001,
        6.4470 + i * 0.0001,
        "Partagé",
    )
    for i in range(6)
]


def restricted(world):
    """Customs' restricted reports: five in Épinal in the week of Monday
    2 March 2026 (a group of k = 5, counted per commune), one alone in
    Saint-Dié-des-Vosges (88413) in the week of 9 March. World "b" moves
    each within its commune and week and changes what it says."""
    if world == "a":
        group = [
            (
                f"DOU-{i}",
                "DOUANE",
                f"02/03/2026 0{i + 1}:00",
                "deal_point",
                "cocaine",
                "A1",
                48.1790 + i * 0.0001,
                6.4533 + i * 0.0001,
                "Restreint",
            )
            for i in range(5)
        ]
        lone = [("DOU-9", "DOUANE", "09/03/2026 08:00", "seizure", "heroin", "A1", 48.2969, 6.9413, "Restreint")]
    else:
        group = [
            (
                f"DOU-{i}",
                "DOUANE",
                f"08/03/2026 1{i + 5}:00",
                "seizure",
                "cannabis_resin",
                "C3",
                48.1700 - i * 0.0003,
                6.4700 + i * 0.0004,
                "Restreint",
            )
            for i in range(5)
        ]
        lone = [("DOU-9", "DOUANE", "15/03/2026 23:00", "tip", "cocaine", "F6", 48.2900, 6.9500, "Restreint")]
    return group + lone


def build_world(path, monkeypatch, world, with_restricted=True):
    app = make_app(path / world / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
    rows = SHARED + (restricted(world) if with_restricted else [])
    lines = [HEADER] + [
        f"{ref};{agency};{when};{cat};{subst};{grading};{str(lat).replace('.', ',')};"
        f"{str(lon).replace('.', ',')};{handling};résumé {ref}"
        for ref, agency, when, cat, subst, grading, lat, lon, handling in rows
    ]
    source = path / f"{world}.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(source)])
    assert result.exit_code == 0, result.output
    add_user(app, "viewer-gn", role="viewer", agency="GN")
    add_user(app, "commander-gn", role="commander", agency="GN")
    add_user(app, "analyst-douane", role="analyst", agency="DOUANE")
    return app


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    path = tmp_path_factory.mktemp("worlds")
    with ExitStack() as stack:
        monkeypatch = stack.enter_context(pytest.MonkeyPatch.context())
        apps = {world: build_world(path, monkeypatch, world) for world in ("a", "b")}
        for app in apps.values():
            # The same saved zones in both worlds: a 3 m square on a
            # restricted report of world a, one of world b, a large one.
            client = app.test_client()
            for lon, lat, d in ((6.4533, 48.1790, 0.00002), (6.4700, 48.1700, 0.00002), (6.46, 48.175, 0.02)):
                square = {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [lon - d, lat - d],
                            [lon + d, lat - d],
                            [lon + d, lat + d],
                            [lon - d, lat + d],
                            [lon - d, lat - d],
                        ]
                    ],
                }
                assert client.post("/api/zones", json={"name": "Piège", "geometry": square}).status_code == 201
        yield apps


def body(response):
    data = response.get_data()
    if response.content_encoding == "gzip":
        data = gzip.decompress(data)
    return data


def answer(client, url):
    """What the attacker learns from one request: the status and the JSON
    (zone metadata, which records when each world created it, left out)."""
    response = client.get(url)
    data = body(response)
    try:
        document = json.loads(data)
    except ValueError:
        return response.status_code, data
    if isinstance(document, dict):
        document.pop("zone", None)
    return response.status_code, document


def same_answer(worlds, url, user="viewer-gn"):
    a = answer(worlds["a"].test_client(user=user), url)
    b = answer(worlds["b"].test_client(user=user), url)
    assert a == b, url
    return a


def test_the_worlds_differ_for_the_agency_that_owns_the_reports(worlds):
    """The test can fail: customs see their reports where they are."""
    url = "/api/reports?format=geojson&agencies=DOUANE"
    a = answer(worlds["a"].test_client(user="analyst-douane"), url)
    b = answer(worlds["b"].test_client(user="analyst-douane"), url)
    assert a[1]["features"] and a != b


@pytest.mark.parametrize("query", ["eps=1&min_samples=1", "eps=49&min_samples=5", "eps=250&min_samples=2"])
def test_tiny_clustering_parameters_are_refused_in_french(worlds, query):
    response = worlds["a"].test_client(user="viewer-gn").get(f"/api/hotspots?{query}&agencies=DOUANE")
    assert response.status_code == 400
    assert "doit être un nombre d'au moins" in response.get_json()["error"]


def test_no_hotspot_is_drawn_around_restricted_reports(worlds):
    for query in ("", "?agencies=DOUANE", "?eps=50&min_samples=3", "?eps=50&min_samples=3&agencies=DOUANE"):
        status, document = same_answer(worlds, "/api/hotspots" + query)
        assert status == 200
        for feature in document["features"]:
            assert "DOUANE" not in feature["properties"]["by_agency"]


def test_hotspot_cards_are_the_same_in_both_worlds(worlds):
    status, document = same_answer(worlds, "/api/hotspots?eps=50&min_samples=3")
    assert document["features"]
    for feature in document["features"]:
        status, card = same_answer(worlds, f"/api/hotspots/{feature['id']}?eps=50&min_samples=3")
        assert status == 200 and card["properties"]["by_agency"] == {"GN": card["properties"]["count"]}


def test_bisection_by_box_learns_nothing(worlds):
    """The review's attack: halve a box on 0/1 answers of /api/communes."""
    west, south, east, north = 6.40, 48.12, 6.55, 48.20
    for _ in range(12):
        middle = (west + east) / 2
        status, left = same_answer(worlds, f"/api/communes?agencies=DOUANE&bbox={west},{south},{middle},{north}")
        counts = {c["insee"]: c["count"] for c in left["communes"] if c["count"]}
        # Nothing in a box: customs' restricted reports never count there.
        assert counts == {}
        east = middle


def test_commune_counts_hold_groups_of_k_only(worlds):
    status, document = same_answer(worlds, "/api/communes")
    counts = {c["insee"]: c["by_agency"] for c in document["communes"] if c["count"]}
    # Épinal: the six shared reports and the group of five; Saint-Dié's lone
    # report adds nothing.
    assert counts == {"88160": {"GN": 6, "DOUANE": 5}}
    # A day inside the week counts the whole week: no bisection by date.
    for day in ("2026-03-02", "2026-03-04", "2026-03-08"):
        status, document = same_answer(worlds, f"/api/communes?start={day}&end={day}&agencies=DOUANE")
        assert {c["insee"]: c["count"] for c in document["communes"] if c["count"]} == {"88160": 5}
    # A filter by category, substance or grading gets no withheld count.
    for query in ("categories=deal_point", "substances=cocaine", "min_grading=A1"):
        status, document = same_answer(worlds, f"/api/communes?agencies=DOUANE&{query}")
        assert not any(c["count"] for c in document["communes"])


def test_bisection_by_zone_learns_nothing(worlds):
    client = worlds["a"].test_client(user="viewer-gn")
    zones = client.get("/api/zones").get_json()["features"]
    assert len(zones) == 3
    for zone in zones:
        status, contents = same_answer(worlds, f"/api/zones/{zone['id']}/contents?agencies=DOUANE")
        assert contents["count"] == 0 and contents["by_agency"] == {} and contents["by_category"] == {}
    own = worlds["a"].test_client(user="analyst-douane").get(f"/api/zones/{zones[0]['id']}/contents").get_json()
    assert own["count"] >= 1


def freeze_clock(monkeypatch):
    from datetime import datetime

    import webmap.services.snapshots as snapshots

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 3, 20, 12, 0, tzinfo=tz)

    monkeypatch.setattr(snapshots, "datetime", Frozen)


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_a_snapshot_is_the_same_pixels_with_or_without_the_restricted_reports(tmp_path, monkeypatch):
    """The review found a 50 m circle drawn at the report: the PNG of a world
    holding the restricted reports and the PNG of one without them must be
    the same image for another agency."""
    freeze_clock(monkeypatch)
    url = "/export/snapshot.png?size=800x600&bbox=6.40,48.15,6.50,48.20&eps=50&min_samples=3&agencies=GN,DOUANE"
    images = []
    for world, with_restricted in (("a", True), ("without", False)):
        app = build_world(tmp_path, monkeypatch, world, with_restricted=with_restricted)
        response = app.test_client(user="commander-gn").get(url)
        assert response.status_code == 200
        images.append(pixels(response.data))
    assert images[0].shape == images[1].shape
    assert np.array_equal(images[0], images[1])


def test_a_snapshot_shows_the_owner_its_restricted_reports(worlds, monkeypatch):
    """The pixel test can fail: customs' own snapshot differs between the worlds."""
    freeze_clock(monkeypatch)
    url = "/export/snapshot.png?size=800x600&bbox=6.40,48.15,6.50,48.20&agencies=DOUANE"
    a = pixels(worlds["a"].test_client(user="analyst-douane").get(url).data)
    b = pixels(worlds["b"].test_client(user="analyst-douane").get(url).data)
    assert not np.array_equal(a, b)


# Random request sequences: any endpoint, any filter, any clustering
# parameters, any box and zone around the reports.
DAYS = st.dates(min_value=__import__("datetime").date(2026, 2, 20), max_value=__import__("datetime").date(2026, 3, 25))
LON = st.floats(6.40, 7.0, allow_nan=False)
LAT = st.floats(48.10, 48.35, allow_nan=False)


@st.composite
def requests(draw):
    params = {}
    if draw(st.booleans()):
        start = draw(DAYS)
        end = draw(DAYS.filter(lambda d: d >= start))
        params.update(start=start.isoformat(), end=end.isoformat())
    if draw(st.booleans()):
        params["agencies"] = ",".join(draw(st.lists(st.sampled_from(["GN", "DOUANE"]), min_size=1, unique=True)))
    if draw(st.booleans()):
        params["categories"] = draw(st.sampled_from(["deal_point", "seizure", "tip"]))
    if draw(st.booleans()):
        west, east = sorted(draw(st.tuples(LON, LON)))
        south, north = sorted(draw(st.tuples(LAT, LAT)))
        if west < east and south < north:
            params["bbox"] = f"{west},{south},{east},{north}"
    if draw(st.booleans()):
        params["eps"] = str(draw(st.integers(50, 3000)))
        params["min_samples"] = str(draw(st.integers(3, 8)))
    endpoint = draw(
        st.sampled_from(
            ["/api/communes", "/api/hotspots", "/api/reports", "/api/emerging", "/api/reports?format=compact", "zone"]
        )
    )
    if endpoint == "zone":
        endpoint = f"/api/zones/{draw(st.integers(1, 3))}/contents"
    if endpoint.startswith("/api/reports"):
        params.pop("eps", None)
        params.pop("min_samples", None)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    separator = "&" if "?" in endpoint else "?"
    return endpoint + (separator + query if query else "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(requests(), min_size=1, max_size=4))
def test_random_request_sequences_never_tell_the_worlds_apart(worlds, sequence):
    for url in sequence:
        status, document = same_answer(worlds, url)
        # Hotspot cards of what came back, as the page opens them.
        if url.startswith("/api/hotspots") and status == 200:
            query = url.partition("?")[2]
            for feature in document["features"][:2]:
                same_answer(worlds, f"/api/hotspots/{feature['id']}" + (f"?{query}" if query else ""))


def test_the_map_page_gives_neither_the_count_nor_the_span_of_restricted_reports(worlds):
    """The time slider's ends are the first and last reports: customs' lone
    report of 9 March (the newest of world a) must not set them."""
    import re

    pages = [worlds[w].test_client(user="viewer-gn").get("/").get_data(as_text=True) for w in ("a", "b")]
    configs = [json.loads(re.search(r'id="crossmap-config">(.*?)</script>', p, re.S).group(1)) for p in pages]
    summaries = [re.search(r'id="summary">([^<]*)<', p).group(1) for p in pages]
    for name in configs[0]:
        if name in ("csrf", "csrf_token"):
            continue
        assert configs[0][name] == configs[1][name], name
    assert summaries[0] == summaries[1] == "6 signalements"
    assert "2026-03-09" not in json.dumps(configs[0])


def test_a_briefing_pack_reads_the_same_in_both_worlds(worlds, monkeypatch):
    """Hotspot table, emerging places, weekly counts and zone pages of the
    briefing: the same words and figures whatever customs' restricted
    reports are (their page images are compared by the snapshot test)."""
    import pypdf

    freeze_clock(monkeypatch)
    url = "/export/briefing.pdf?start=2026-02-23&end=2026-03-22&eps=50&min_samples=3"
    texts = []
    for world in ("a", "b"):
        response = worlds[world].test_client(user="commander-gn").get(url)
        assert response.status_code == 200
        texts.append([page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages])
    assert texts[0] == texts[1]
