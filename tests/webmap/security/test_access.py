"""Every route has an explicit role rule, and the rules hold: a test walks
``app.url_map``, so a new route without a rule fails here."""

import re

import pytest

from tests.apps import make_app
from tests.signin import add_user
from webmap.security.access import PERMISSIONS, PUBLIC, ROLES, RULES, rule_for

# Arguments for the URL converters: enough to reach the view, not to succeed.
ARGUMENTS = {"code": "H-0001", "output": "png", "token": "x" * 20, "filename": "css/crossmap.css"}


@pytest.fixture
def roles_app(tmp_path, monkeypatch):
    # CSRF is tested in test_auth; here it would answer 400 before the rule.
    app = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)
    for role in ROLES:
        add_user(app, f"user-{role}", role=role, agency="PJ")
    return app


def routes(app):
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(ARGUMENTS.get(name, 1)), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_endpoint_has_a_rule(app):
    missing = sorted({endpoint for endpoint, method, url in routes(app) if rule_for(endpoint, method) is None})
    assert missing == [], f"add these endpoints to webmap.security.access.RULES: {missing}"


def test_every_rule_names_a_real_endpoint_and_permission(app):
    endpoints = {endpoint for endpoint, method, url in routes(app)}
    assert sorted(set(RULES) - endpoints) == []
    for rule in RULES.values():
        for permission in rule.values() if isinstance(rule, dict) else [rule]:
            assert permission == PUBLIC or permission in PERMISSIONS


def test_only_the_login_page_and_static_files_are_public(app):
    public = {endpoint for endpoint, method, url in routes(app) if rule_for(endpoint, method) == PUBLIC}
    assert public == {"auth.login", "static"}


def test_anonymous_visitors_are_sent_to_the_login_page(roles_app):
    client = roles_app.test_client(user=None)
    for endpoint, method, url in routes(roles_app):
        if rule_for(endpoint, method) == PUBLIC:
            continue
        with client.open(url, method=method) as response:
            # Scripts and images (the API, basemap tiles) get a status.
            if url.startswith(("/api/", "/tiles/")):
                assert response.status_code == 401, (method, url)
            else:
                assert response.status_code == 302, (method, url)
                assert response.headers["Location"].startswith("/connexion"), (method, url)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(roles_app, role):
    client = roles_app.test_client(user=f"user-{role}")
    for endpoint, method, url in routes(roles_app):
        if endpoint == "auth.logout":
            continue  # it would end the session (test_auth tests it)
        permission = rule_for(endpoint, method)
        with client.open(url, method=method) as response:
            if permission == PUBLIC or role in PERMISSIONS[permission]:
                assert response.status_code != 403, (role, method, url)
                assert not response.headers.get("Location", "").startswith("/connexion"), (role, method, url)
            else:
                assert response.status_code == 403, (role, method, url, response.status_code)


def test_viewers_see_the_map_but_cannot_import_or_export(roles_app):
    viewer = roles_app.test_client(user="user-viewer")
    assert viewer.get("/").status_code == 200
    assert viewer.get("/api/reports").status_code == 200
    assert viewer.get("/signalements/import").status_code == 403
    assert viewer.get("/signalements/export/fichier?format=csv").status_code == 403
    assert viewer.get("/admin/journal").status_code == 403


def test_a_route_without_a_rule_is_refused_even_to_an_admin(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch)
    app.add_url_rule("/nouvelle-page", "new_page", lambda: "secret")
    assert app.test_client().get("/nouvelle-page").status_code == 403


NAVIGATION = {
    "/": "Carte",
    "/signalements": "Signalements",
    "/signalements/import": "Importer",
    "/signalements/lots": "Lots",
    "/signalements/export": "Exports",
    "/admin/journal": "Journal d'audit",
}


@pytest.mark.parametrize(
    ("role", "links"),
    [
        ("viewer", {"/", "/signalements"}),
        ("commander", {"/", "/signalements", "/signalements/export"}),
        ("analyst", {"/", "/signalements", "/signalements/import", "/signalements/lots", "/signalements/export"}),
        ("admin", set(NAVIGATION)),
    ],
)
def test_the_header_offers_what_the_role_may_open(roles_app, role, links):
    client = roles_app.test_client(user=f"user-{role}")
    for page in ("/", "/signalements"):
        html = client.get(page).get_data(as_text=True)
        nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
        shown = set(re.findall(r'href="([^"]+)"', nav))
        assert shown == links, (role, page)
        for href in shown:
            assert NAVIGATION[href] in nav
            assert client.get(href).status_code == 200, (role, href)
        assert 'aria-current="page"' in nav


def test_viewers_are_offered_no_export(roles_app):
    viewer = roles_app.test_client(user="user-viewer").get("/").get_data(as_text=True)
    commander = roles_app.test_client(user="user-commander").get("/").get_data(as_text=True)
    for marker in ('id="export-form"', "/api/zones/export.geojson"):
        assert marker not in viewer
        assert marker in commander
    table = roles_app.test_client(user="user-viewer").get("/signalements").get_data(as_text=True)
    assert "export-csv" not in table
