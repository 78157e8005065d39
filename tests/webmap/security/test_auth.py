"""Signing in and out, password rules, sessions that expire, rate limits,
the users command, security headers and the secret key check."""

import html
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tests.apps import make_app
from tests.signin import TEST_ADMIN, TEST_PASSWORD, add_user
from webmap import db
from webmap.db.models import AuditEntry, User
from webmap.security.headers import SecretKeyError
from webmap.security.passwords import PasswordError, check_password_rules
from webmap.services import audit


@pytest.fixture
def web(tmp_path, monkeypatch):
    return make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False)


def sign_in(client, username=TEST_ADMIN, password=TEST_PASSWORD, next=None, **request):
    """Post the login form as a browser would, CSRF token included."""
    page = client.get("/connexion", **request).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"username": username, "password": password, "csrf_token": token.group(1) if token else ""}
    if next is not None:
        data["next"] = next
    return client.post("/connexion", data=data, **request)


def actions(app):
    with app.app_context():
        return [e.action for e in db.get_session().scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_login_page_is_french_and_public(web):
    page = web.test_client(user=None).get("/connexion")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Connexion" in text and "Mot de passe" in text and "DIFFUSION RESTREINTE" in text


def test_sign_in_then_out(web):
    client = web.test_client(user=None)
    assert client.get("/").headers["Location"] == "/connexion?next=/"
    response = sign_in(client, next="/signalements/lots")
    assert response.status_code == 302 and response.headers["Location"] == "/signalements/lots"
    assert client.get("/signalements/lots").status_code == 200
    assert client.get("/deconnexion").status_code == 405  # a link cannot sign anyone out
    assert client.post("/deconnexion").headers["Location"] == "/connexion"
    assert client.get("/signalements/lots").status_code == 302
    assert actions(web)[-2:] == ["login", "logout"]


def test_wrong_password_is_refused_and_audited(web):
    client = web.test_client(user=None)
    response = sign_in(client, password="Pas-le-bon-1234")
    assert response.status_code == 401
    assert "Nom d'utilisateur inconnu ou mot de passe erroné." in html.unescape(response.get_data(as_text=True))
    assert client.get("/").status_code == 302
    assert sign_in(client, username="personne").status_code == 401
    with web.app_context():
        failures = audit.search(db.get_session(), action="login_failed")
    assert [e.username for e in failures] == ["personne", TEST_ADMIN]
    assert failures[0].address == "127.0.0.1"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(web, target):
    response = sign_in(web.test_client(user=None), next=target)
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed_with_scrypt(web):
    with web.app_context():
        stored = db.get_session().scalar(select(User.password_hash).where(User.username == TEST_ADMIN))
    assert stored.startswith("scrypt:") and TEST_PASSWORD not in stored


@pytest.mark.parametrize(
    "password, problem",
    [
        ("Court-1", "au moins 12"),
        ("toutenminuscules", "trois sortes"),
        ("alice-Alice-2026", "nom d'utilisateur"),
    ],
)
def test_password_rules(password, problem):
    with pytest.raises(PasswordError, match=problem):
        check_password_rules(password, "alice")


def test_a_disabled_user_is_signed_out_at_once(web):
    client = web.test_client()
    assert client.get("/").status_code == 200
    result = web.test_cli_runner().invoke(args=["users", "disable", TEST_ADMIN])
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert sign_in(web.test_client(user=None)).status_code == 401


@pytest.mark.parametrize("stamp, expired", [("seen_at", True), ("signed_in_at", True), (None, False)])
def test_sessions_expire_when_idle_and_after_the_absolute_limit(web, stamp, expired):
    client = web.test_client()
    now = datetime.now(timezone.utc).timestamp()
    with client.session_transaction() as session:
        if stamp == "seen_at":
            session["seen_at"] = now - 31 * 60  # idle limit: 30 minutes
        elif stamp == "signed_in_at":
            session["signed_in_at"] = now - 601 * 60  # absolute limit: 10 hours
    response = client.get("/")
    assert (response.status_code == 302) == expired
    if expired:
        assert response.headers["Location"] == "/connexion"
        assert "Votre session a expiré" in client.get("/connexion").get_data(as_text=True)


def test_failed_attempts_are_rate_limited_per_account(web):
    # Five failures a minute, from two addresses: the account is blocked.
    for attempt in range(5):
        client = web.test_client(user=None)
        address = f"10.0.0.{attempt % 2 + 1}"
        assert sign_in(client, password="Mauvais-mot-2026", environ_base={"REMOTE_ADDR": address}).status_code == 401
    blocked = web.test_client(user=None).post(
        "/connexion", data={"username": TEST_ADMIN, "password": TEST_PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)
    assert actions(web).count("login_failed") == 5 and actions(web)[-1] == "login_blocked"


def test_failed_attempts_are_rate_limited_per_address(tmp_path, monkeypatch):
    web = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False, LOGIN_ADDRESS_RATE_LIMIT="5 per minute")
    client = web.test_client(user=None)
    for attempt in range(5):
        assert sign_in(client, username=f"inconnu{attempt}").status_code == 401
    assert sign_in(client).status_code == 429
    # Successful sign-ins do not count.
    other = web.test_client(user=None)
    for _ in range(6):
        assert sign_in(other, environ_base={"REMOTE_ADDR": "10.0.0.50"}).status_code == 302


def test_with_several_processes_the_database_counts_failures_for_all(tmp_path, monkeypatch):
    # Each process builds its own app and limiter storage: the second app
    # here is what a second gunicorn worker would be.
    first = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI="database")
    for _ in range(5):
        client = first.test_client(user=None)
        assert sign_in(client, password="Mauvais-mot-2026", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 401
    second = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI="database")
    blocked = sign_in(second.test_client(user=None), environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert blocked.status_code == 429


def test_csrf_token_is_required_to_sign_in_and_out(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch)
    client = app.test_client()
    assert client.post("/deconnexion").status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    anonymous = app.test_client(user=None)
    form = {"username": TEST_ADMIN, "password": TEST_PASSWORD}
    assert anonymous.post("/connexion", data=form).status_code == 400
    assert sign_in(anonymous).status_code == 302


def test_session_cookie_flags(web):
    response = sign_in(web.test_client(user=None))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    over_tls = sign_in(web.test_client(user=None), base_url="https://localhost")
    assert "Secure" in over_tls.headers["Set-Cookie"]


def test_behind_a_proxy_the_forwarded_address_and_scheme_are_used(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch, WTF_CSRF_ENABLED=False, PROXY_FIX_HOPS=1)
    response = sign_in(
        app.test_client(user=None), headers={"X-Forwarded-For": "192.0.2.7", "X-Forwarded-Proto": "https"}
    )
    assert "Secure" in response.headers["Set-Cookie"]
    with app.app_context():
        assert audit.search(db.get_session(), action="login")[0].address == "192.0.2.7"


def test_security_headers_and_script_nonces(demo_client):
    response = demo_client.get("/")
    policy = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline, "folium writes inline scripts"
    for attributes in inline:
        assert f'nonce="{nonce}"' in attributes or 'type="application/json"' in attributes, attributes
    assert "frame-ancestors 'none'" in policy and response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert demo_client.get("/").headers["Content-Security-Policy"] != policy  # a nonce per response


@pytest.mark.parametrize("url", ["/api/reports", "/signalements/export/fichier?format=csv", "/", "/admin/journal.csv"])
def test_data_and_exports_are_never_cached(client, url):
    assert client.get(url).headers["Cache-Control"] == "no-store"


def test_users_command(app, runner):
    result = runner.invoke(
        args=["users", "create", "lea.martin", "--role", "analyst", "--agency", "DOUANE"], input="Saisie-Douane-2026\n"
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "lea.martin\tanalyst\tDOUANE\tactif" in listing
    short = runner.invoke(args=["users", "create", "bob", "--role", "viewer", "--agency", "GN"], input="court\n")
    assert short.exit_code != 0 and "au moins 12" in short.output
    assert runner.invoke(args=["users", "create", "x", "--role", "chef", "--agency", "GN"], input="").exit_code != 0
    assert runner.invoke(args=["users", "set-role", "lea.martin", "commander"]).exit_code == 0
    assert runner.invoke(args=["users", "reset-password", "lea.martin"], input="Nouveau-Secret-2027\n").exit_code == 0
    client = app.test_client(user=None)
    assert sign_in(client, "lea.martin", "Saisie-Douane-2026").status_code == 401
    assert sign_in(client, "lea.martin", "Nouveau-Secret-2027").status_code == 302
    assert client.get("/signalements/import").status_code == 403  # commanders do not import
    assert [a for a in actions(app) if a not in ("login", "login_failed")] == [
        "user_created",
        "role_changed",
        "password_reset",
    ]


def test_password_is_never_a_command_line_argument(runner):
    result = runner.invoke(
        args=["users", "create", "bob", "--role", "viewer", "--agency", "GN", "--password", "Secret-Secret-2026"]
    )
    assert result.exit_code == 2 and "No such option" in result.output


def test_demo_admin_gets_a_fresh_password_on_each_run(demo_app):
    runner = demo_app.test_cli_runner()
    first = runner.invoke(args=["users", "ensure-demo-admin"])
    second = runner.invoke(args=["users", "ensure-demo-admin"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    old, new = (re.search(r"demo-admin / (\S+)", r.output).group(1) for r in (first, second))
    assert old != new
    client = demo_app.test_client(user=None)
    assert sign_in(client, "demo-admin", old).status_code == 401
    assert sign_in(client, "demo-admin", new).status_code == 302


def test_no_demo_admin_without_demo_data(app, runner):
    result = runner.invoke(args=["users", "ensure-demo-admin"])
    assert result.exit_code == 0 and "Pas de données fictives" in result.output
    assert "demo-admin" not in runner.invoke(args=["users", "list"]).output


@pytest.mark.parametrize("key", ["dev", "change-me", "trop-courte"])
def test_refuses_to_start_with_a_default_secret_key(tmp_path, monkeypatch, key):
    monkeypatch.setenv("CROSSMAP_SECRET_KEY", key)
    with pytest.raises(SecretKeyError, match="SECRET_KEY"):
        make_app(tmp_path / "instance", monkeypatch)


def test_default_secret_key_is_tolerated_on_demo_data(demo_instance, monkeypatch):
    monkeypatch.setenv("CROSSMAP_SECRET_KEY", "dev")
    assert make_app(demo_instance, monkeypatch).secret_key == "dev"


def test_the_instance_secret_key_is_a_proper_one(app):
    assert len(app.secret_key) >= 32
    assert (app.instance_path + "/secret_key").endswith("secret_key")


def test_add_user_helper_gives_the_role(web):
    add_user(web, "chef", role="commander", agency="PJ")
    client = web.test_client(user="chef")
    assert client.get("/").status_code == 200 and client.get("/admin/journal").status_code == 403


@pytest.mark.browser
def test_sign_in_and_out_in_a_browser(demo_app, artifacts):
    from tests.browser import browser_page, serve, sign_in

    with serve(demo_app, user=None) as url, browser_page() as browser:
        page = browser.page
        page.goto(url + "/signalements/export")
        assert page.url.startswith(url + "/connexion?next=")
        page.screenshot(path=str(artifacts / "login.png"))
        sign_in(page, url)
        page.goto(url + "/signalements/export")
        page.wait_for_selector("text=test-admin (GN)")
        page.click("button.signout")
        page.wait_for_selector("text=Vous êtes déconnecté.")
        page.goto(url + "/")
        final = page.url
    assert final.startswith(url + "/connexion")
    assert browser.console_errors == [] and browser.external_requests == []
