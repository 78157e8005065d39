"""Every error page is French and carries the handling marking (issue #16,
finding 11)."""

from tests.apps import make_app
from tests.signin import add_user


def test_a_missing_page_is_french_and_marked(client):
    response = client.get("/pas-de-page-ici")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Page introuvable" in text and "DIFFUSION RESTREINTE" in text
    assert "Retour à la carte" in text and "Not Found" not in text


def test_a_refused_page_is_french_and_marked(app):
    add_user(app, "viewer-gn", role="viewer", agency="GN")
    response = app.test_client(user="viewer-gn").get("/admin/journal")
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "Accès refusé" in text and "DIFFUSION RESTREINTE" in text


def test_a_server_error_is_french_and_marked(tmp_path, monkeypatch):
    app = make_app(tmp_path / "instance", monkeypatch, PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/casse", "casse", broken)
    monkeypatch.setitem(__import__("webmap.security.access", fromlist=["RULES"]).RULES, "casse", "view")
    response = app.test_client().get("/casse")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Erreur du serveur" in text and "DIFFUSION RESTREINTE" in text
    assert "Internal Server Error" not in text and "boom" not in text


def test_api_errors_answer_french_json(client):
    response = client.post("/api/reports")
    assert response.status_code == 405
    assert response.get_json()["error"] == "Cette page ne peut pas être utilisée ainsi."


def test_the_applications_own_explanation_is_shown(client):
    response = client.get("/signalements/export/fichier?format=docx")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "DIFFUSION RESTREINTE" in text and "Bad Request" not in text
