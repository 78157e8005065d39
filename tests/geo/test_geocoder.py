"""The geocoder: every form of place, every refusal, and the BAN through a
fake server on 127.0.0.1 (never the internet)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from geo.geocoder import AmbiguousPlace, Geocoder, OutsideArea, OutsideDepartement, PlaceNotFound
from geo.names import edit_distance, name_key, nearest


@pytest.fixture(scope="module")
def geocoder():
    return Geocoder()


@pytest.mark.parametrize(
    "text, insee, understood_as",
    [
        ("6.4497, 48.1734", "88160", "wgs84"),
        ("6,4497 48,1734", "88160", "wgs84"),
        ("6,4497; 48,1734", "88160", "wgs84"),
        ("956354 6791494", "88160", "lambert93"),
        ("956354,0 6791494,0", "88160", "lambert93"),
        ("insee 88160", "88160", "insee"),
        ("Code INSEE : 88413", "88413", "insee"),
        ("88075", "88075", "insee"),  # La Bresse: no postal code is 88075
        ("Épinal", "88160", "name"),
        ("EPINAL", "88160", "name"),
        ("épinal", "88160", "name"),
        ("Saint-Dié-des-Vosges", "88413", "name"),
        ("ST DIE DES VOSGES", "88413", "name"),
        ("St-Dié-des-Vosges", "88413", "name"),
        ("Ste Marguerite", "88424", "name"),
        ("Charmois l Orgueilleux", "88092", "name"),
        ("charmois-l'orgueilleux", "88092", "name"),
        ("Charmois-l’Orgueilleux", "88092", "name"),
        ("La Bresse", "88075", "name"),
        ("Bresse (La)", "88075", "name"),
        ("BRESSE (LA)", "88075", "name"),
        ("Thillot (Le)", "88468", "name"),
        ("Remiremont 88200", "88383", "name"),
        ("88200 Remiremont", "88383", "name"),
        ("Remiremont (88200)", "88383", "name"),
        ("cp 88510", "88158", "postal_code"),
    ],
)
def test_each_form_of_place(geocoder, text, insee, understood_as):
    place = geocoder.geocode(text)
    assert place.insee == insee
    assert place.understood_as == understood_as
    expected_precision = "point" if understood_as in ("wgs84", "lambert93") else "commune"
    assert place.precision == expected_precision


def test_result_carries_both_crs_and_the_commune(geocoder):
    place = geocoder.geocode("6.4497, 48.1734")
    assert (place.lon, place.lat) == (6.4497, 48.1734)
    assert round(place.x_l93) == 956354 and round(place.y_l93) == 6791494
    assert (place.commune, place.departement) == ("Épinal", "88")
    by_name = geocoder.geocode("Épinal")
    # The commune's centroid lies inside the commune.
    assert geocoder.communes_at([by_name.x_l93], [by_name.y_l93])[0] == "88160"


def test_shared_postal_code_names_every_candidate(geocoder):
    with pytest.raises(AmbiguousPlace) as caught:
        geocoder.geocode("cp 88200")
    assert sorted(c.insee for c in caught.value.candidates) == ["88148", "88383", "88415", "88429", "88498"]
    assert "88200" in caught.value.message and "5 communes" in caught.value.message


def test_a_code_that_is_both_insee_and_postal_is_ambiguous(geocoder):
    # 88160 is Épinal's INSEE code and Le Thillot's postal code.
    with pytest.raises(AmbiguousPlace) as caught:
        geocoder.geocode("88160")
    assert {"88160", "88468"} <= {c.insee for c in caught.value.candidates}


def test_name_and_postal_code_must_agree(geocoder):
    with pytest.raises(PlaceNotFound, match="88200"):
        geocoder.locate(commune="Épinal", postal_code="88200")


def test_deleted_commune_resolves_to_its_successor_and_says_so(geocoder):
    for place in (geocoder.geocode("Rollainville"), geocoder.geocode("insee 88393")):
        assert place.insee == "88321"  # Neufchâteau
        assert place.former_commune == "Rollainville (88393)"
        assert any("Rollainville" in warning and "Neufchâteau" in warning for warning in place.warnings)


def test_misspelling_is_suggested_never_accepted(geocoder):
    with pytest.raises(PlaceNotFound) as caught:
        geocoder.geocode("Epinla")
    assert [c.insee for c in caught.value.candidates] == ["88160"]
    assert "Vouliez-vous dire" in caught.value.message
    with pytest.raises(PlaceNotFound) as caught:
        geocoder.geocode("Xyzzyville")
    assert caught.value.candidates == ()


@pytest.mark.parametrize(
    "text, reading",
    [
        ("48.1725, 6.4497", "latlon"),  # Géoportail, Google Maps
        ("48,1725 ; 6,4497", "latlon"),
        ("48,1725, 6,4497", "latlon"),
        ("48,1725,6,4497", "latlon"),
        ("48.1725 6.4497", "latlon"),
        ("(48.1725; 6.4497)", "latlon"),
        ("6.4497, 48.1725", "lonlat"),
        ("6,4497 48,1725", "lonlat"),
        ("48°10'21\"N 6°26'59\"E", "dms"),
        ("N 48°10'21\" E 6°26'59\"", "dms"),
        ("6°26'59\"E, 48°10'21\"N", "dms"),
        ("48° 10' 21\" N ; 6° 26' 59\" E", "dms"),
        ("956354 6791494", "xy"),
        ("956354;6791494", "xy"),
        ("6791494 956354", "yx"),
    ],
)
def test_coordinates_as_people_write_them(geocoder, text, reading):
    place = geocoder.geocode(text)
    assert (place.insee, place.precision, place.reading) == ("88160", "point", reading)
    assert place.lon == pytest.approx(6.4497, abs=2e-4) and place.lat == pytest.approx(48.173, abs=1e-3)


def test_coordinate_columns_in_the_wrong_order_are_read_and_said(geocoder):
    place = geocoder.locate(lon="48,1734", lat="6,4497")
    assert (place.insee, place.reading) == ("88160", "latlon")
    assert any("inversées" in warning for warning in place.warnings)
    assert geocoder.locate(lon="6,4497", lat="48,1734").warnings == ()
    assert geocoder.locate(coordinates="48,1734 ; 6,4497").insee == "88160"
    # Coordinates typed into the commune ("Lieu") column.
    assert geocoder.locate(commune="48.1734, 6.4497").reading == "latlon"


@pytest.mark.parametrize("text", ["48,17,25", "48.1 6.4 7.2", "956 354 6 791 494"])
def test_coordinates_that_split_several_ways_are_refused(geocoder, text):
    with pytest.raises(PlaceNotFound, match="ambiguës"):
        geocoder.geocode(text)


@pytest.mark.parametrize("text", ["2.3522, 48.8566", "650000 6860000", "-6.4, 48.2"])
def test_point_beyond_the_neighbours_is_outside(geocoder, text):
    with pytest.raises(OutsideArea, match="hors de la zone couverte"):
        geocoder.geocode(text)
    with pytest.raises(OutsideArea):
        geocoder.geocode(text, allow_outside=True)


@pytest.mark.parametrize("text", ["48.6921, 6.1844", "Nancy", "insee 54395"])
def test_a_place_in_a_neighbouring_departement_needs_allow_outside(geocoder, text):
    with pytest.raises(OutsideDepartement, match="--allow-outside") as caught:
        geocoder.geocode(text)
    assert caught.value.fix.insee == "54395"
    place = geocoder.geocode(text, allow_outside=True)
    assert (place.insee, place.departement, place.outside) == ("54395", "54", True)
    assert any("hors du département" in warning for warning in place.warnings)
    assert not geocoder.geocode("Épinal").outside


def test_the_departement_is_a_parameter():
    meuse = Geocoder(departement="55")
    assert meuse.geocode("Bar-le-Duc").insee == "55029"
    with pytest.raises(OutsideDepartement):
        meuse.geocode("Épinal")


@pytest.mark.parametrize(
    "name, insee, kind",
    [
        ("Capavenir Vosges", "88465", "renamed"),  # 88465's name from 2016 to 2019
        ("CAPAVENIR-VOSGES", "88465", "renamed"),
        ("Rollainville", "88321", "absorbed"),  # déléguée of Neufchâteau since 2019
        ("Bains-les-Bains", "88029", "absorbed"),
    ],
)
def test_former_names_resolve_to_the_2026_commune_with_a_note(geocoder, name, insee, kind):
    place = geocoder.geocode(name)
    assert (place.insee, place.former_kind) == (insee, kind)
    assert place.warnings and place.commune in place.warnings[0]


def test_every_name_since_2018_resolves_to_its_successor(geocoder):
    from geo.reference import load_communes, load_former_names, load_neighbour_communes

    current = {name_key(name) for name in load_communes()["name"]} | {
        name_key(name) for name in load_neighbour_communes()["name"]
    }
    for row in load_former_names().itertuples(index=False):
        place = geocoder.geocode(row.name, allow_outside=True)
        if name_key(row.name) in current:
            # A name borne today wins over the same name borne before
            # ("Saint-Remy" is 88435, not 70472 Saint-Rémy-en-Comté).
            assert place.former_kind is None, row.name
            continue
        assert place.insee == row.successor_code, row.name
        assert place.former_kind in ("renamed", "absorbed") and place.warnings, row.name


def test_reverse_covers_neighbouring_departements(geocoder):
    assert geocoder.reverse(6.1844, 48.6921).insee == "54395"  # Nancy
    assert geocoder.communes_at([956354.0, 1.0], [6791494.0, 1.0]).tolist() == ["88160", None]


def test_address_without_ban_falls_back_to_the_commune(geocoder):
    place = geocoder.geocode("12 rue de la Gare, 88000 Épinal")
    assert place.insee == "88160" and place.precision == "commune"
    assert any("désactivé" in warning for warning in place.warnings)
    assert geocoder.locate(address="12 rue de la Gare", commune="Épinal") == place


def test_errors_serialise_to_json(geocoder):
    with pytest.raises(AmbiguousPlace) as caught:
        geocoder.geocode("cp 88200")
    document = json.loads(json.dumps(caught.value.as_dict()))
    assert document["error"] == "ambiguous" and len(document["candidates"]) == 5


def test_name_keys():
    assert name_key("Bresse (La)") == name_key("la-bresse") == "la bresse"
    assert name_key("Ste-Hélène") == name_key("SAINTE HELENE")
    assert edit_distance("remiremont", "remiremnot") == 2
    assert nearest("remiremnot", ["remiremont", "epinal"], max_distance=2) == [("remiremont", 2)]


def test_unknown_name_suggests_former_names_too(geocoder):
    with pytest.raises(PlaceNotFound) as caught:
        geocoder.geocode("Capavenir Vosge")
    assert [c.insee for c in caught.value.candidates] == ["88465"]


class FakeBAN(BaseHTTPRequestHandler):
    """Answers /search like api-adresse.data.gouv.fr, for one street."""

    requests = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        query = parse_qs(urlsplit(self.path).query)["q"][0]
        FakeBAN.requests.append(query)
        features = []
        if "rue de la gare" in query.lower():
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [6.4425, 48.1795]},
                    "properties": {
                        "label": "12 Rue de la Gare 88000 Épinal",
                        "score": 0.93,
                        "type": "housenumber",
                        "citycode": "88160",
                        "city": "Épinal",
                        "postcode": "88000",
                    },
                }
            )
        body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_ban():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBAN)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeBAN.requests = []
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_ban_locates_a_street_address_and_caches_it(fake_ban):
    geocoder = Geocoder(ban_enabled=True, ban_domain=fake_ban, ban_scheme="http")
    place = geocoder.geocode("12 rue de la Gare, 88000 Épinal")
    assert place.precision == "address" and place.insee == "88160"
    assert (place.lon, place.lat) == (6.4425, 48.1795)
    assert place.address == "12 Rue de la Gare 88000 Épinal"
    geocoder.geocode("12 rue de la Gare, 88000 Épinal")
    geocoder.locate(address="12 rue de la Gare", commune="Épinal", postal_code="88000")
    assert len(FakeBAN.requests) == 1


def test_ban_unknown_address_falls_back_with_a_warning(fake_ban):
    geocoder = Geocoder(ban_enabled=True, ban_domain=fake_ban, ban_scheme="http")
    place = geocoder.geocode("3 impasse des Lilas, Gérardmer")
    assert place.precision == "commune" and place.insee == "88196"
    assert any("introuvable" in warning for warning in place.warnings)


def test_ban_unreachable_falls_back_with_a_warning():
    # Nothing listens on port 9 of 127.0.0.1: the connection is refused.
    geocoder = Geocoder(ban_enabled=True, ban_domain="127.0.0.1:9", ban_scheme="http", ban_timeout=1)
    place = geocoder.geocode("12 rue de la Gare, Épinal")
    assert place.precision == "commune" and place.insee == "88160"
    assert any("injoignable" in warning for warning in place.warnings)
