"""Fuzzing and abuse, bounded in time: arbitrary files and rows never raise
anything but the documented validation errors, no API answer is a 5xx, and
hostile uploads and free text are refused or shown escaped."""

import io
from datetime import datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.geocoder import Geocoder, GeocodingError
from geo.reference import load_neighbour_communes
from webmap.config import AGENCIES
from webmap.db.models import PARIS
from webmap.services import importer

DATA = Path(__file__).parents[2] / "data"
# derandomize: the same examples on every run, so that the suite is stable;
# a wider search is one setting away when hunting.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HEADERS = [
    "Référence",
    "Service",
    "Date des faits",
    "Heure",
    "Nature",
    "Produit",
    "Quantité",
    "Unité",
    "Cotation",
    "Commune",
    "Code postal",
    "Code INSEE",
    "Adresse",
    "Latitude",
    "Longitude",
    "X",
    "Y",
    "Résumé",
    "Diffusion",
]
cells = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(
        [
            "48,17",
            "6,45",
            "88160",
            "Épinal",
            "B2",
            "Saisie",
            "résine",
            "12,5",
            "kg",
            "25/11/2025 22:40",
            "Restreint",
            "950000",
            "6800000",
        ]
    ),
)


@pytest.fixture(scope="module")
def geocoder():
    return Geocoder()


@FUZZ
@given(data=st.binary(max_size=2000), extension=st.sampled_from(["csv", "xlsx", "geojson", "json", "txt", ""]))
def test_any_bytes_give_a_table_or_an_import_file_error(tmp_path_factory, data, extension):
    path = tmp_path_factory.mktemp("fuzz") / f"fichier.{extension}"
    path.write_bytes(data)
    try:
        table = importer.read_table(path, max_bytes=10_000, max_rows=1_000)
    except importer.ImportFileError as error:
        assert str(error)
    else:
        assert all(isinstance(h, str) for h in table.headers)


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=len(HEADERS) + 2), max_size=8))
def test_any_rows_are_imported_or_rejected_with_a_reason(geocoder, rows):
    table = importer.Table(headers=HEADERS, rows=rows, lines=list(range(2, len(rows) + 2)), filename="f.csv")
    try:
        prepared = importer.prepare(
            table, geocoder=geocoder, known_agencies=AGENCIES, now_=datetime(2026, 11, 26, tzinfo=PARIS)
        )
    except importer.ImportFileError:
        return
    rejected = {r.line for r in prepared.rejections}
    assert all(r.reason for r in prepared.rejections)
    assert len(prepared.records) + len(rejected) == len(rows)
    for record in prepared.records:
        assert record["handling"] in ("shared", "restricted")


KNOWN_DEPARTEMENTS = {"88", *load_neighbour_communes()["departement"]}


@FUZZ
@given(text=st.text(max_size=80))
def test_geocoding_any_text_finds_a_place_or_says_why(geocoder, text):
    try:
        place = geocoder.geocode(text)
    except GeocodingError as error:
        assert str(error)
    else:
        # The geocoder knows the Vosges and its neighbours, nothing else.
        assert place.insee[:2] in KNOWN_DEPARTEMENTS


@FUZZ
@given(
    values=st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(st.text(max_size=20), st.floats(allow_nan=True, allow_infinity=True), st.integers())
            for name in ("lon", "lat", "x", "y", "insee", "postal_code", "commune", "address")
        },
    )
)
def test_locating_any_values_finds_a_place_or_says_why(geocoder, values):
    try:
        geocoder.locate(**values)
    except GeocodingError as error:
        assert str(error)


# -- the API under schemathesis ---------------------------------------------


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from tests.apps import make_app

    with pytest.MonkeyPatch.context() as monkeypatch:
        app = make_app(tmp_path_factory.mktemp("fuzz") / "instance", monkeypatch)
    runner = app.test_cli_runner()
    for name in ("reports-gn-cp1252.csv", "reports-douane-utf8bom.csv", "reports-gir.geojson"):
        assert runner.invoke(args=["import", str(DATA / name)]).exit_code == 0
    return app


def api_operations():
    from webmap.api.openapi import openapi_document

    schema = schemathesis.openapi.from_dict(openapi_document())
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", api_operations(), ids=lambda op: f"{op.method} {op.path}")
def test_no_api_answer_is_a_server_error(fuzz_app, operation):
    client = fuzz_app.test_client()
    assert client.get("/api/openapi.json").status_code == 200  # signed in

    @settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def call(case):
        response = client.open(case.formatted_path, method=case.method, query_string=case.query or {})
        assert response.status_code < 500, (case.formatted_path, case.query, response.data[:300])
        if response.status_code >= 400:
            assert response.is_json and response.get_json()["error"]

    call()


# -- abuse ------------------------------------------------------------------

HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script>'


@pytest.fixture
def web(tmp_path, monkeypatch):
    from tests.apps import make_app

    return make_app(
        tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False, IMPORT_MAX_BYTES=4000, MAX_CONTENT_LENGTH=6000
    )


def upload(client, name, data):
    return client.post(
        "/signalements/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_oversized_upload_is_refused(web):
    response = upload(web.test_client(), "gros.csv", b"a;b\n" * 5000)
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["../../../etc/passwd.csv", "..\\..\\secret_key", "/etc/cron.d/x.csv", "....//x.csv"])
def test_path_traversal_in_file_names_stays_in_the_upload_folder(web, name):
    secret = (Path(web.instance_path) / "secret_key").read_bytes()
    response = upload(web.test_client(), name, (DATA / "reports-gn-cp1252.csv").read_bytes())
    # A name without a known extension is refused at once (the file is read
    # at upload), and its folder removed.
    assert response.status_code == (302 if name.endswith(".csv") else 400)
    uploads = Path(web.instance_path) / "uploads"
    # Beside the file: its metadata and the table read from it (read once).
    stored = [p for p in uploads.rglob("*") if p.is_file() and p.name not in ("meta.json", "table.pickle")]
    assert len(stored) == (1 if name.endswith(".csv") else 0)
    assert all(p.resolve().is_relative_to(uploads.resolve()) for p in stored)
    assert (Path(web.instance_path) / "secret_key").read_bytes() == secret


@pytest.mark.parametrize(
    "name, data",
    [
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        ("classeur.xlsx", b"pas un classeur"),
        ("donnees.geojson", b"{pas du json"),
    ],
)
def test_wrong_content_types_are_refused_with_a_message(web, name, data):
    client = web.test_client()
    # Read once, at upload: refused there (issue #16).
    response = upload(client, name, data)
    assert response.status_code == 400
    assert "DIFFUSION RESTREINTE" in response.get_data(as_text=True)


def test_html_in_every_free_text_field_is_shown_escaped(web, tmp_path):
    client = web.test_client()
    line = f"{HOSTILE[:40]};GN;01/03/2026 10:00;Saisie;Résine;1;kg;B2;Épinal;;;{HOSTILE};;;{HOSTILE}\n"
    header = (DATA / "reports-gn-cp1252.csv").read_bytes().decode("cp1252").splitlines()[0]
    data = (header + "\n" + line).encode("utf-8")
    location = upload(client, "hostile.csv", data).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    token = location.split("/")[-1].split("?")[0]
    client.post(f"/signalements/import/{token}")
    pages = [
        preview,
        client.get("/signalements/lots").get_data(as_text=True),
        client.get("/").get_data(as_text=True),
        client.get("/admin/journal").get_data(as_text=True),
    ]
    for page in pages:
        assert "<img src=x" not in page and '<script>alert("x")' not in page
    assert "&lt;img src=x" in preview
    # The API is JSON for the page's script, which inserts text, not HTML.
    features = client.get("/api/reports").get_json()["features"]
    assert features[0]["properties"]["place"].count("<img") == 1
    csv_export = client.get("/signalements/export/fichier?format=csv").data.decode("utf-8-sig")
    assert "<img src=x onerror=alert(1)>" in csv_export  # kept as given; a spreadsheet shows text
