"""Flask extensions shared by the app: created here, bound in ``create_app``."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
# Every state-changing request (forms and API alike) must carry the token.
csrf = CSRFProtect()
login_manager = LoginManager()
# Counts live in memory: one process (waitress' threads) serves the cell.
limiter = Limiter(key_func=lambda: request.remote_addr or "", storage_uri="memory://", default_limits=[])


def init_app(app):
    babel.init_app(app, locale_selector=lambda: "fr", timezone_selector=lambda: "Europe/Paris")
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
