"""App factory, configuration and the database commands."""

import sqlite3

from sqlalchemy import inspect

from webmap import create_app, db


def test_config_layers_defaults_instance_file_and_environment(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('MARKING = "DR"\nCELL_NAME = "CROSS de test"\n')
    monkeypatch.setenv("CROSSMAP_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("CROSSMAP_CELL_NAME", "CROSS des Vosges (test)")
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["MARKING"] == "DR"  # instance file beats defaults
    assert app.config["CELL_NAME"] == "CROSS des Vosges (test)"  # environment beats the file
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'crossmap.sqlite'}"


def test_secret_key_is_made_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSMAP_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    assert len(first) >= 32
    assert create_app().config["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_two_instances_do_not_share_a_database(tmp_path, monkeypatch):
    urls = set()
    for name in ("88", "54"):
        monkeypatch.setenv("CROSSMAP_INSTANCE_PATH", str(tmp_path / name))
        urls.add(create_app().config["DATABASE_URL"])
    assert len(urls) == 2


def test_init_db_creates_then_migrates_idempotently(tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSMAP_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.get_engine()).get_table_names())
    assert {"report", "import_batch", "alembic_version"} <= tables
    connection = sqlite3.connect(tmp_path / "crossmap.sqlite")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_foreign_keys_are_enforced(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from webmap.db.models import Report

    with app.app_context():
        session = db.get_session()
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            session.execute(
                Report.__table__.insert(),
                [
                    dict(
                        agency="GN",
                        agency_ref="x",
                        observed_at=_now(),
                        category="tip",
                        substances="",
                        reliability="B",
                        credibility=2,
                        summary="",
                        place_text="",
                        x_l93=0,
                        y_l93=0,
                        lon=0,
                        lat=0,
                        insee="88160",
                        precision="point",
                        batch_id=999,
                        imported_at=_now(),
                        fictitious=False,
                    )
                ],
            )


def _now():
    from webmap.db.models import now

    return now()
