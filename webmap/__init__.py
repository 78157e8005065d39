"""crossmap web application: the Flask app factory."""

import os
import secrets
from pathlib import Path

from flask import Flask

from webmap.config import DEFAULTS


def create_app(test_config=None):
    """Create the app: defaults, then the instance folder's ``config.py``,
    then ``CROSSMAP_*`` environment variables, then ``test_config``."""
    instance_path = os.environ.get("CROSSMAP_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CROSSMAP")
    if test_config is not None:
        app.config.from_mapping(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "crossmap.sqlite")
    # Uploads are refused beyond the import limit (plus room for the form).
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = app.config["IMPORT_MAX_BYTES"] + 1024 * 1024
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")

    from webmap import api, cli, db, extensions
    from webmap.security import access, headers
    from webmap.views import admin, auth, errors, exports, imports, map, table, tiles

    headers.init_app(app)
    db.init_app(app)
    extensions.init_app(app)
    cli.init_app(app)
    # Before any blueprint's own hooks: nobody reaches a view unchecked.
    access.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    for blueprint in (map.bp, table.bp, imports.bp, exports.bp, tiles.bp):
        app.register_blueprint(blueprint)
    api.init_app(app)
    errors.init_app(app)
    return app


def _instance_secret(path):
    """Read the instance's secret key, creating it on first start so that no
    secret ever lives in the repository."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
